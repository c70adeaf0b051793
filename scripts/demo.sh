#!/usr/bin/env bash
# Install agentrt into .venv and run the main job on the embedded defaults:
# the weekly sales example end to end on a local Ray cluster with the offline model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AGENTRT_DATA_DIR="${AGENTRT_DATA_DIR:-$PWD/var/demo}"
exec .venv/bin/agentrt demo "$@"
