#!/usr/bin/env bash
# Type-check agentrt with mypy --strict, as installed: the brief's top-level folders are the
# agentrt.* packages, so mypy reads them through a tree of links named as they install.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=.typecheck
rm -rf "$tree" && mkdir -p "$tree/agentrt"
cp agentrt/__init__.py agentrt/py.typed "$tree/agentrt/"
for package in contracts actors memory specialists supervisor cluster examples; do
  ln -s "$PWD/$package" "$tree/agentrt/$package"
done
exec .venv/bin/python -m mypy --config-file pyproject.toml "$tree/agentrt" "$@"
