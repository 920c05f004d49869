#!/usr/bin/env bash
# Install into the venv (see scripts/install.sh), lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test
venv="${PKDGAN_VENV:-.venv}"
"$venv/bin/ruff" check src tests benchmarks scripts
"$venv/bin/ruff" format --check src tests benchmarks scripts
"$venv/bin/python" -m pytest "$@"
