#!/usr/bin/env bash
# Batch-1 latency of the found model (trial 7) and hps-06-1x, side by side, 1 thread,
# eager PyTorch and onnxruntime (latency does not depend on the weights).
set -euo pipefail
S=sqlite:///results/equal-budget-1.24mb/dse.db
echo "# $(date -u +%FT%TZ) results/equal-budget-1.24mb/latency.sh ($(lscpu | sed -n 's/^Model name: *//p'), 1 thread per measurement)"
for round in 1 2; do
  for rt in torch onnxruntime; do
    echo "== round $round, $rt, trial 7 (hps [1,5,1,1] 0.75x elu drop0.3)"
    dse latency --study hps-arch-1mb --trial 7 --storage $S --runtime $rt --threads 1
    echo "== round $round, $rt, hps-06-1x"
    dse latency --model hps-06-1x --runtime $rt --threads 1
  done
done
