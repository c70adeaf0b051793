#!/usr/bin/env bash
# Install agentrt with its test extras into .venv, lint (ruff), type-check (mypy --strict)
# and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
bash scripts/typecheck.sh
exec .venv/bin/python -m pytest "$@"
