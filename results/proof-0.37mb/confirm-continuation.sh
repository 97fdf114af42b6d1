#!/usr/bin/env bash
# Step 3 of "Continued with a lower bound on size" (README): confirm the continuation's
# candidate N at 30 epochs on all 50,000 training images, seeds 0, 1, 2, one process and
# one thread per seed (three processes share the two cores: each run's accuracy is what
# it would be alone, its epoch times are not). Logs confirm-h.txt, confirm-i.txt,
# confirm-j.txt (appended to: an interrupted run continues from its last epoch when the
# same command runs again).
#   results/proof-0.37mb/confirm-continuation.sh N     (from the repository root; waits)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:?usage: confirm-continuation.sh TRIAL}"
export OMP_NUM_THREADS=1
D=results/proof-0.37mb
set -- h 0 i 1 j 2
while [ $# -gt 0 ]; do
  "${DSE:-.venv/bin/dse}" confirm --study proof-0.37mb --trials "$N" --seeds "$2" --epochs 30 \
    --device cpu --data-dir "${DSE_DATA_DIR:-../shared/data}" \
    --storage "sqlite:///$D/dse.db" --artifacts "$D/studies" >> "$D/confirm-$1.txt" 2>&1 &
  shift 2
  sleep 20  # one process at a time opens the store
done
wait
