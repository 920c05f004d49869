#!/usr/bin/env bash
# Create (or reuse) a virtual environment holding an Anomalib install, then install anomalib-pkdgan into it as
# users get it: from a built wheel, so the CLI-registration file lands in site-packages. It checks that this
# install changed no package that was already there, and that the CLI knows PKDGAN.
# Usage: bash scripts/install.sh [EXTRAS]
#   PKDGAN_VENV      where the venv lives (default: .venv in the repository)
#   PKDGAN_ANOMALIB  the Anomalib release of the "existing environment" (default: 2.7.0; 2.4.2 is the oldest
#                    supported, see README)
#   PKDGAN_TORCH     the torch requirement installed first (default: torch==2.14.1 torchvision==0.29.1,
#                    which pip takes from local disk on the project's machines; any CPU build works)
#   PKDGAN_ANOMALIB_EXTRA  more requirements of that "existing environment" (CI gives Anomalib 2.4.2 "pandas<3":
#                    its datamodules compare pandas 3 string columns with str Enums, which pandas 3 never matches)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
venv="${PKDGAN_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade pip
# torch first, pinned: Anomalib lists torch only under extras, and an unpinned torch could pull a new CUDA build.
# shellcheck disable=SC2086
"$py" -m pip install --quiet ${PKDGAN_TORCH:-torch==2.14.1 torchvision==0.29.1}
# shellcheck disable=SC2086
"$py" -m pip install --quiet "anomalib[openvino]==${PKDGAN_ANOMALIB:-2.7.0}" build ${PKDGAN_ANOMALIB_EXTRA:-}
"$py" -m pip freeze --exclude anomalib-pkdgan > "$venv/freeze-before.txt"
rm -rf dist
"$py" -m build --wheel --outdir dist . >/dev/null
wheel="$(ls dist/anomalib_pkdgan-*.whl)"
"$py" -m pip install --quiet "$wheel"
"$py" -m pip freeze --exclude anomalib-pkdgan > "$venv/freeze-after.txt"
"$py" scripts/check_env_unchanged.py "$venv/freeze-before.txt" "$venv/freeze-after.txt"
"$py" -m pip install --quiet --force-reinstall --no-deps "$wheel"  # a rebuilt wheel of the same version
"$venv/bin/anomalib" train --model PKDGAN --print_config >/dev/null
if [ -n "$extras" ]; then
  "$py" -m pip install --quiet "${wheel}[$extras]"
fi
echo "installed $(basename "$wheel") into $venv (Anomalib $("$py" -c 'import anomalib; print(anomalib.__version__)'))"
