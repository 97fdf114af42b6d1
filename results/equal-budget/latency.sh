#!/usr/bin/env bash
# Batch-1 latency of the found model (trial 107) and hps-06-0.5x, side by side, 1 thread,
# eager PyTorch and onnxruntime (latency does not depend on the weights). Run while one
# other single-thread training process used the other core.
set -euo pipefail
S=sqlite:///results/equal-budget/dse.db
for round in 1 2; do
  for rt in torch onnxruntime; do
    echo "== round $round, $rt, trial 107 (hps [1,1,1,1] 0.5x elu)"
    dse latency --study hps-arch --trial 107 --storage $S --runtime $rt --threads 1
    echo "== round $round, $rt, hps-06-0.5x"
    dse latency --model hps-06-0.5x --runtime $rt --threads 1
  done
done
