#!/usr/bin/env bash
# Calibration of hps_oneshot_cifar10's oneshot_ft fidelity (README.md: plan and decision
# rule). From any folder (DSE_CODE: the code's checkout, default this one's); running it
# again continues. Two single-threaded shards, one per core; shard 2 writes the plan and
# copies the reused references and supernet first.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../../.." && pwd)}"
PY="${DSE_PYTHON:-$CODE/.venv/bin/python}"  # runs `python -m dse.cli` from $CODE
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
nohup bash -c "
set -e
cd '$CODE'
check() {
  OMP_NUM_THREADS=1 '$PY' -m dse.cli fidelity check --space hps_oneshot_cifar10 \
    --fidelity oneshot --fidelity oneshot_ft --reference-epochs 15 --sample 32 --seed 0 \
    --reuse results/calibration/hps-oneshot --out '$D' --device cpu --data-dir '$DATA' \"\$@\"
}
check --shard 2/2 >> '$D/log-shard2.txt' 2>&1 &
sleep 30  # the plan is written once, by shard 2
check --shard 1/2 >> '$D/log-shard1.txt' 2>&1
wait
" > /dev/null 2>&1 &
echo "started; logs: $D/log-shard1.txt and $D/log-shard2.txt"
