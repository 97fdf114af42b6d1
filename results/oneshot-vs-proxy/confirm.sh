#!/usr/bin/env bash
# The confirmations of README.md, 30 epochs on all 50,000 training images, test set:
#   a (oneshot-arm in a.db): picks 485,327,460,253,462,475 seed 0; best 462 seeds 1, 2
#   b (hps-oneshot in b.db, a copy of ../auto-0.37mb/dse.db): picks 61,74,66,70,73,55
#     seed 0; best 73 seeds 1, 2
#   and hps-06-0.5x seeds 0-2 in each store, for `dse compare`.
# Two single-threaded processes work through the same list of `dse confirm` commands, one
# from each end; the store's claims give each run to one of them, and a run another study
# of the store already trained (b's trials 73 and 66 and the baseline, in dse auto's
# ladder study) is copied, not trained again. dse confirm resumes an interrupted run from
# its last epoch and skips finished ones, so running this script again continues.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
DSE="${DSE_BIN:-$CODE/.venv/bin/dse}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export OMP_NUM_THREADS=1
echo "$(date -u +%FT%TZ) started or continued on $(lscpu | sed -n 's/^Model name: *//p')" \
  >> "$D/pauses.txt"
JOBS=(  # store study who seeds
  "a oneshot-arm --trials=485,327,460,253,462,475 0"
  "b hps-oneshot --trials=61,74,66,70,73,55 0"
  "a oneshot-arm --trials=462 1,2"
  "b hps-oneshot --trials=73 1,2"
  "b hps-oneshot --baseline=hps-06-0.5x 0,1,2"
  "a oneshot-arm --baseline=hps-06-0.5x 0,1,2"
)
one() {  # store study who seeds
  local top=(); [[ $3 == --baseline=* ]] && top=(--top 0)
  (cd "$CODE" && "$DSE" confirm --study "$2" "$3" "${top[@]}" --seeds "$4" --epochs 30 \
    --device cpu --data-dir "$DATA" --storage "sqlite:///$D/$1.db" --artifacts "$D/studies")
}
for order in forward backward; do
  if [ $order = forward ]; then list=("${JOBS[@]}"); else
    list=(); for ((i=${#JOBS[@]}-1; i>=0; i--)); do list+=("${JOBS[$i]}"); done; fi
  nohup bash -c "$(declare -f one); D='$D' CODE='$CODE' DSE='$DSE' DATA='$DATA'; \
    for j in $(printf "'%s' " "${list[@]}"); do one \$j || exit 1; done" \
    >> "$D/confirm-$order.txt" 2>&1 &
done
echo "started; logs: $D/confirm-forward.txt, $D/confirm-backward.txt"
