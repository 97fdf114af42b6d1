#!/usr/bin/env bash
# Create .venv and install dse with its development tools; install the Debian packages the
# tests use (PostgreSQL server, Chromium) when they are missing. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# Every package pinned by requirements.lock (scripts/lock.sh refreshes it); torch and
# torchvision first, the builds that pip finds on this machine's disk.
.venv/bin/pip install -q --disable-pip-version-check -c requirements.lock torch torchvision
.venv/bin/pip install -q --disable-pip-version-check -c requirements.lock -e ".[dev,postgres]"
echo "dse installed in .venv"
