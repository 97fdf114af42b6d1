#!/usr/bin/env bash
# The third seed of README.md ("A third seed"): the README's `dse confirm` command started
# twice at once, one single-threaded process per core; each claims one of the two runs
# (trial 41 and hps-06-1x, seed 2). Running this again continues both from their last
# epoch; logs third-seed-a.txt and third-seed-b.txt, starts in third-seed-pauses.txt.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
DSE="${DSE_BIN:-$CODE/.venv/bin/dse}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export OMP_NUM_THREADS=1
echo "$(date -u +%FT%TZ) started or continued on $(lscpu | sed -n 's/^Model name: *//p')" \
  >> "$D/third-seed-pauses.txt"
cd "$CODE"
for who in a b; do
  nohup "$DSE" confirm --study proof-1.24mb --trials 41 --baseline hps-06-1x --epochs 20 \
    --seeds 2 --storage "sqlite:///$D/dse.db" --artifacts "$D/studies" --data-dir "$DATA" \
    --device cpu >> "$D/third-seed-$who.txt" 2>&1 &
  sleep 20  # the first claims its run before the second looks
done
echo "started; logs: $D/third-seed-a.txt, $D/third-seed-b.txt"
