#!/usr/bin/env bash
# Install agentrt into .venv and run the main job on the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -c "import contracts, actors; print('agentrt smoke check: contracts and actor host import, codec ready')"
