#!/usr/bin/env bash
# The README's test command: set up (idempotent), lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check dse tests bench results scripts
.venv/bin/lint-imports  # the layers contract in pyproject.toml
.venv/bin/mkdocs build --strict --quiet --site-dir "$(mktemp -d)"  # the user guide, CLI reference generated
# one pytest-xdist worker per usable core, each pinned to its core (tests/conftest.py); a
# test file stays on one worker, so its module fixtures are built once
.venv/bin/python -m pytest -q -n "$(nproc)" --dist loadfile --durations=25 "$@"  # the 25 slowest: where suite time goes
