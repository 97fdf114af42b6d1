#!/usr/bin/env bash
# Calibration of hps_oneshot_cifar10's oneshot fidelity (README.md: plan and decision rule).
# Two single-threaded processes, from the repository root; running it again continues
# everything where it stopped (the supernet from its last epoch, every reference from its
# resume state):
#   B: the calibration's shard 2/2 (writes the plan and copies the reused references first)
#   A: the supernet (dse supernet train), then the calibration's shard 1/2
# Each shard's oneshot evaluations run after its references, once the supernet exists.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../../.." && pwd)}"
DSE="${DSE_BIN:-$CODE/.venv/bin/dse}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export OMP_NUM_THREADS=1
check() {
  (cd "$CODE" && "$DSE" fidelity check --space hps_oneshot_cifar10 --fidelity oneshot \
    --reference-epochs 15 --sample 32 --seed 0 --reuse results/calibration/hps-arch-fast \
    --out "$D" --device cpu --data-dir "$DATA" "$@")
}
nohup bash -c "$(declare -f check); D='$D' CODE='$CODE' DSE='$DSE' DATA='$DATA'
  check --shard 2/2" >> "$D/log-shard2.txt" 2>&1 &
sleep 60  # the plan is written once, by shard 2
nohup bash -c "$(declare -f check); D='$D' CODE='$CODE' DSE='$DSE' DATA='$DATA'
  (cd \"\$CODE\" && \"\$DSE\" supernet train --space hps_oneshot_cifar10 --fidelity oneshot \
     --artifacts \"\$(dirname \"\$D\")\" --study \"\$(basename \"\$D\")\" --device cpu \
     --threads 1 --data-dir \"\$DATA\") && check --shard 1/2" >> "$D/log-shard1.txt" 2>&1 &
echo "started; logs: $D/log-shard1.txt (supernet, then shard 1), $D/log-shard2.txt"
