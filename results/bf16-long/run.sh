#!/usr/bin/env bash
# bf16 at 100 epochs (README.md: plan and rule). Seeds 0 and 1 side by side (one thread
# each), then seed 2 with two threads; each run resumes from its resume.pt.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
PY="${DSE_PYTHON:-$CODE/.venv/bin/python}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
one() {  # seed threads
  local out="$D/seed-$1" resume=()
  [ -f "$out/metrics.json" ] && return 0
  [ -f "$out/resume.pt" ] && resume=(--resume "$out/resume.pt")
  (cd "$CODE" && OMP_NUM_THREADS=$2 "$PY" -m dse.cli train --model hps-06-0.5x --epochs 100 \
    --seed "$1" --val-size 0 --recipe-arg precision=bf16 --compile off --resumable \
    --out "$out" \
    --device cpu --data-dir "$DATA" "${resume[@]}") >> "$D/log-seed-$1.txt" 2>&1
}
export -f one; export D CODE PY DATA
nohup bash -c 'one 0 1 & one 1 1 & wait; one 2 2' > /dev/null 2>&1 &
echo "started; logs: $D/log-seed-*.txt"
