#!/usr/bin/env bash
# Every benchmark, one after another on an otherwise idle machine; outputs (with the date
# and the command) go to bench/results/. Takes about 40 minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
DSE_DATA_DIR="$(realpath "${DSE_DATA_DIR:-../shared/data}")"
export DSE_DATA_DIR
mkdir -p bench/results
run() {
  local name=$1; shift
  { echo "# $(date -u +%Y-%m-%dT%H:%MZ)  $*"; "$@" || echo "FAILED with exit code $?"; } \
    > "bench/results/$name.txt" 2>&1
  tail -n 3 "bench/results/$name.txt"
}
PY=.venv/bin/python
run throughput-hps-06-0.5x $PY bench/train_throughput.py --model hps-06-0.5x --rounds 5 --steps 20
run throughput-hps-21-1x-v3 $PY bench/train_throughput.py --model hps-21-1x-v3 --rounds 3 --steps 6
run engine-options-hps-06-0.5x $PY bench/engine_options.py --model hps-06-0.5x
run engine-options-hps-21-1x-v3 $PY bench/engine_options.py --model hps-21-1x-v3 --rounds 3 --steps 4
run study-overhead-smoke $PY bench/study_overhead.py --trials 12 --fidelity smoke
run study-overhead-quick $PY bench/study_overhead.py --trials 6 --fidelity quick
run pareto-speed $PY bench/pareto_speed.py --trials 500 --runs 3
run halving-vs-random $PY bench/halving_vs_random.py --budget 60 --seeds 1
run constraint-rejections $PY bench/constraint_rejections.py --trials 60 --seeds 5
run workers-throughput $PY bench/workers_throughput.py --minutes 4
run imagefolder-cache $PY bench/imagefolder_cache.py
run augment-throughput $PY bench/augment_throughput.py
