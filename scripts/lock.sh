#!/usr/bin/env bash
# Refresh requirements.lock: every Python package dse and its tests install, pinned, as
# pip-tools resolves pyproject.toml's dependencies and the dev and postgres extras now.
# scripts/setup.sh installs with it as a constraints file. Run after changing a dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pip install -q --disable-pip-version-check pip-tools
.venv/bin/pip-compile --quiet --extra dev --extra postgres --strip-extras --no-emit-index-url --no-emit-find-links \
  --output-file requirements.lock pyproject.toml
echo "wrote requirements.lock"
