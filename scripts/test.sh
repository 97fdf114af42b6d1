#!/usr/bin/env bash
# The README's test command: set up (idempotent), lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check dse tests bench
.venv/bin/lint-imports  # the layers contract in pyproject.toml
.venv/bin/python -m pytest -q --durations=25 "$@"  # the 25 slowest: where suite time goes
