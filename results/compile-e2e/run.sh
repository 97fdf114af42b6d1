#!/usr/bin/env bash
# torch.compile end to end: the same 8-epoch run of hps-06-0.5x on all 50,000
# training images, eager then --compile auto, one after the other on an idle machine
# (2 threads). Writes eager/, auto/ and the two logs here.
set -euo pipefail
cd "$(dirname "$0")/../.."
for mode in off auto; do
  /usr/bin/time -f "wall %e s" .venv/bin/dse train --model hps-06-0.5x --epochs 8 --val-size 0 \
    --seed 0 --compile "$mode" --out "results/compile-e2e/$mode" \
    > "results/compile-e2e/$mode.log" 2>&1
done
