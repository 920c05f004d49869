#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install anomalib-pkdgan into it as users get it: from a
# built wheel, so the CLI-registration file lands in site-packages. Usage: bash scripts/install.sh [EXTRAS]
#   PKDGAN_VENV   where the venv lives (default: .venv in the repository)
#   PKDGAN_TORCH  the torch requirement installed first (default: torch==2.14.1 torchvision==0.29.1,
#                 which pip takes from local disk on the project's machines; any CPU build works)
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
"$py" -m pip install --quiet build
rm -rf dist
"$py" -m build --wheel --outdir dist . >/dev/null
wheel="$(ls dist/anomalib_pkdgan-*.whl)"
"$py" -m pip install --quiet --force-reinstall --no-deps "$wheel"
"$py" -m pip install --quiet "${wheel}${extras:+[$extras]}"
echo "installed $(basename "$wheel") into $venv"
