#!/usr/bin/env bash
# Create .venv (if missing) and install agentrt into it, with the test extras when asked,
# at the versions of constraints.txt (the ones the suite passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[$extras]"
else
  .venv/bin/python -m pip install --quiet -c constraints.txt -e .
fi
