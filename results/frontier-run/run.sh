#!/usr/bin/env bash
# The frontier run (README.md: plan and rules), from any folder; nothing else may run on
# the machine. In order, each step written down before the next and never redone:
#   1. recipe.txt: the arm ../recipe-long/ chose by its rule (its compare.py) and the
#      precision (float32, or auto if ../bf16-long/ has finished and found that bf16 keeps
#      accuracy);
#   2. epochs.txt: the probe (the run's command with 400 epochs in a throwaway folder,
#      stopped after its second epoch; probe.log) and E = 10 x floor(0.95 x 10,800 s /
#      (10 t)), t the second epoch's time (training and test evaluation);
#   3. the run, results/frontier-run/run/ (train.log), in the background through
#      results/long_run.py; running this script again continues it from run/resume.pt.
# Then: results/long_run.py finish frontier-run --export trial-131-frontier
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
PY="${DSE_PYTHON:-$CODE/.venv/bin/python}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export DSE_DATA_DIR="$DATA"
MODEL_FROM=results/proof-0.37mb/studies/proof-0.37mb/confirm/trial-00131-e30-s0/checkpoint.pt
cd "$CODE"
source results/recipe-long/arms.sh

if [ ! -f "$D/recipe.txt" ]; then
  ARM="$("$PY" results/recipe-long/compare.py 2> /dev/null | sed -n 's/^chosen by the rule: \([a-z]*\) .*/\1/p' || true)"
  if [ -z "$ARM" ]; then
    echo "results/recipe-long/ has not decided yet (its runs are unfinished): run it first" >&2
    exit 2
  fi
  PREC=float32
  if [ -f results/bf16-long/seed-2/metrics.json ] \
      && "$PY" results/bf16-long/compare.py | grep -q "bf16 keeps"; then
    PREC=auto
  fi
  echo "$ARM $PREC" > "$D/recipe.txt"
fi
read -r ARM PREC < "$D/recipe.txt"
read -r -a EXTRA <<< "${ARMS[$ARM]}"
if [ "$PREC" = auto ]; then EXTRA+=(--recipe-arg precision=auto); fi
echo "recipe: $ARM (${ARMS[$ARM]:-the default recipe}), precision $PREC"

if [ ! -f "$D/epochs.txt" ]; then
  TMP="$(mktemp -d)"
  OMP_NUM_THREADS=2 "$PY" -m dse.cli train --model-from "$MODEL_FROM" --epochs 400 --seed 0 \
    --val-size 0 --resumable --device cpu --data-dir "$DATA" --out "$TMP/run" "${EXTRA[@]}" \
    > "$D/probe.log" 2>&1 &
  PROBE=$!
  until grep -q "^epoch   2/400" "$D/probe.log" 2> /dev/null; do
    kill -0 "$PROBE" 2> /dev/null || { echo "the probe failed: see $D/probe.log" >&2; exit 2; }
    sleep 5
  done
  kill "$PROBE"; wait "$PROBE" 2> /dev/null || true; rm -rf "$TMP"
  T="$(sed -n 's/^epoch   2\/400 .*  \([0-9.]*\)s  [0-9]* img\/s$/\1/p' "$D/probe.log")"
  [ -n "$T" ] || { echo "no second-epoch time in $D/probe.log" >&2; exit 2; }
  E="$("$PY" -c "import math, sys; t = float(sys.argv[1]); print(10 * math.floor(0.95 * 10800 / (10 * t)))" "$T")"
  echo "$E epochs (the probe's second epoch: $T s)" > "$D/epochs.txt"
fi
read -r E _ < "$D/epochs.txt"
echo "epochs: $(cat "$D/epochs.txt")"

echo "$(date -u +%FT%TZ) started or continued on $(lscpu | sed -n 's/^Model name: *//p')" \
  >> "$D/pauses.txt"
nohup "$PY" results/long_run.py train frontier-run --model-from "$MODEL_FROM" --epochs "$E" \
  --seed 0 --threads 2 -- "${EXTRA[@]}" > /dev/null 2>&1 &
echo "started; log: $D/train.log"
