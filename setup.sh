#!/usr/bin/env bash
# Sets up curate in ./.venv. Usage: ./setup.sh [--test]
#   On a machine without an NVIDIA GPU it installs the CPU build of torch, never the CUDA stack.
#   --test also installs what the test suite needs beyond Python (headless Chromium for the
#   report test) when apt-get is available and it is missing.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip() { .venv/bin/python -m pip "$@"; }

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    pip install -q torch
  elif pip install -q --no-index --no-deps "torch==2.13.0" 2>/dev/null; then
    # a local CPU wheel (pip's find-links) is installed; now only torch's small dependencies
    pip install -q "torch==2.13.0"
  else
    pip install -q torch --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple
  fi
fi
pip install -q -e ".[dev]"

if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 ||
   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) ||
   echo "setup.sh: could not install chromium; the browser test will be skipped" >&2
fi
echo "curate is set up: .venv/bin/curate --help"
