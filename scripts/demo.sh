#!/usr/bin/env bash
# Install, then train P-KDGAN through the Anomalib CLI on scikit-learn's hand-written digits (shipped with
# scikit-learn: no download), digit 0 normal, and test it on all ten digits; prints the test image AUROC.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
venv="${PKDGAN_VENV:-.venv}"
"$venv/bin/anomalib" train --config configs/demo_digits.yaml "$@"
