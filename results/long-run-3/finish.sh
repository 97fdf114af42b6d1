#!/usr/bin/env bash
# After run.sh has finished all 100 epochs: re-test the checkpoint, export float32 + int8
# ONNX with model cards, re-check both in the embedded runtime on the 10,000 test images,
# account for the training time, and regenerate results/frontier.md with this run.
# Outputs beside this file: evaluate.log, export.log, deploy.log, timing.txt.
#   results/long-run-3/finish.sh      (from the repository root, on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=results/long-run-3
DSE="${DSE:-.venv/bin/dse}"
DATA="${DSE_DATA_DIR:-../shared/data}"
test -f "$D/run/metrics.json" || { echo "the run has not finished: no $D/run/metrics.json" >&2; exit 2; }
"$DSE" evaluate --checkpoint "$D/run/checkpoint.pt" --tta-flip --device cpu --data-dir "$DATA" \
  > "$D/evaluate.log" 2>&1
"$DSE" export --checkpoint "$D/run/checkpoint.pt" --out "$D/export/trial-131-e100.onnx" --int8 \
  --data-dir "$DATA" > "$D/export.log" 2>&1
for m in trial-131-e100.onnx trial-131-e100.int8.onnx; do  # the per-frame lines, but the last two, dropped
  echo "\$ dse deploy run --model $D/export/$m --source $DATA/cifar-10-batches-bin/test_batch.bin"
  "$DSE" deploy run --model "$D/export/$m" --source "$DATA/cifar-10-batches-bin/test_batch.bin" 2>&1 | tail -3
done > "$D/deploy.log"
"${DSE_PYTHON:-.venv/bin/python}" results/long-run/timing.py "$D/run" "$D/pauses.txt" > "$D/timing.txt"
"$DSE" frontier --study hps-arch --storage sqlite:///results/equal-budget/dse.db \
  --study hps-arch-1mb --storage sqlite:///results/equal-budget-1.24mb/dse.db \
  --study proof-0.37mb --storage sqlite:///results/proof-0.37mb/dse.db \
  --study proof-1.24mb --storage sqlite:///results/proof-1.24mb/dse.db \
  --run results/long-run/trial-119-e200 --run results/long-run-2/run --run "$D/run" --out results/frontier.md
cat "$D/evaluate.log" "$D/export.log" "$D/deploy.log" "$D/timing.txt"
