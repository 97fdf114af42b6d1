#!/usr/bin/env bash
# Equal long budget at <= 0.37 MB: trial 131 (the best found model) and the papers'
# hps-06-0.5x, 100 epochs x seeds 0-2 each, the long runs' recipe (SGD Nesterov 0.9, lr 0.1
# cosine, weight decay 5e-4, batch 128, crop + flip), all 50,000 training images, tested on
# the 10,000 test images. Two processes, one thread each (one per core):
#   A: trial 131 seeds 0, 1, then hps-06-0.5x seed 2
#   B: hps-06-0.5x seeds 0, 1, then trial 131 seed 2
# Every run writes resume.pt after each epoch; running this script again continues every
# unfinished run from its last epoch and skips the finished ones. Logs: confirm-a.txt,
# confirm-b.txt (appended).
#   results/long-budget-0.37mb/run.sh        (from anywhere; returns at once, runs in the background)
# DSE_CODE: the checkout whose dse runs (default: this repository), so that a separate
# worktree can run the experiment while this one changes.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
PY="${DSE_PYTHON:-$CODE/.venv/bin/python}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export OMP_NUM_THREADS=1
confirm() {
  (cd "$CODE" && "$PY" -m dse.cli confirm --study proof-0.37mb --epochs 100 --device cpu \
    --data-dir "$DATA" --storage "sqlite:///$D/dse.db" --artifacts "$D/studies" "$@")
}
nohup bash -c "$(declare -f confirm); D='$D' CODE='$CODE' PY='$PY' DATA='$DATA'
  confirm --trials 131 --seeds 0,1 && confirm --top 0 --baseline hps-06-0.5x --seeds 2" \
  >> "$D/confirm-a.txt" 2>&1 &
sleep 20  # one process at a time opens the store
nohup bash -c "$(declare -f confirm); D='$D' CODE='$CODE' PY='$PY' DATA='$DATA'
  confirm --top 0 --baseline hps-06-0.5x --seeds 0,1 && confirm --trials 131 --seeds 2" \
  >> "$D/confirm-b.txt" 2>&1 &
echo "started; logs: $D/confirm-a.txt $D/confirm-b.txt"
