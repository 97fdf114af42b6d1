#!/usr/bin/env bash
# dse auto at 1.24 MB, unattended (README.md: the plan). Runs in the background from the
# checkout DSE_CODE (default: this repository); running it again continues the same plan.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
PY="${DSE_PYTHON:-$CODE/.venv/bin/python}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
echo "$(date -u +%FT%TZ) started or continued on $(lscpu | sed -n 's/^Model name: *//p')" \
  >> "$D/pauses.txt"
cd "$CODE"  # the space by its path from here: the plan stored with the study names it
nohup "$PY" -m dse.cli auto --space results/auto-1.24mb/space.yaml --budget 5h --workers 2 --final-epochs 20 \
  --device cpu --data-dir "$DATA" --storage "sqlite:///$D/dse.db" \
  --artifacts "$D/studies" >> "$D/log.txt" 2>&1 &
echo "started; log: $D/log.txt"
