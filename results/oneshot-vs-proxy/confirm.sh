#!/usr/bin/env bash
# The confirmations of README.md: two single-threaded processes from the repository root,
# one per arm, each confirming its six picks (30 epochs, seed 0), then its best by search
# validation accuracy with seeds 1 and 2. dse confirm resumes an interrupted run from its
# last epoch and skips finished ones, so running this script again continues both.
#   a: oneshot-arm in a.db, picks 485,327,460,253,462,475, best 462
#   b: hps-oneshot in b.db (a copy of ../auto-0.37mb/dse.db), picks 61,74,66,70,73,55, best 73
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
DSE="${DSE_BIN:-$CODE/.venv/bin/dse}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export OMP_NUM_THREADS=1
arm() {  # db study picks best
  local common=(--study "$2" --epochs 30 --device cpu --data-dir "$DATA"
                --storage "sqlite:///$D/$1.db" --artifacts "$D/studies")
  cd "$CODE"
  "$DSE" confirm "${common[@]}" --trials "$3" --seeds 0 && \
  "$DSE" confirm "${common[@]}" --trials "$4" --seeds 1,2
}
nohup bash -c "$(declare -f arm); D='$D' CODE='$CODE' DSE='$DSE' DATA='$DATA'; \
  arm a oneshot-arm 485,327,460,253,462,475 462" >> "$D/confirm-a.txt" 2>&1 &
nohup bash -c "$(declare -f arm); D='$D' CODE='$CODE' DSE='$DSE' DATA='$DATA'; \
  arm b hps-oneshot 61,74,66,70,73,55 73" >> "$D/confirm-b.txt" 2>&1 &
echo "started; logs: $D/confirm-a.txt, $D/confirm-b.txt"
