#!/usr/bin/env bash
# Step 4 of "Continued with a lower bound on size" (README), after confirm-continuation.sh:
# the pre-registered test of trial N against hps-06-0.5x (fifth test against this baseline:
# --comparisons 5), latency side by side on one core, then the float32 and int8 exports of
# N's confirmed checkpoint, re-checked in onnxruntime on the 10,000 test images.
# Outputs beside this file: compare-trialN.json/.txt, export/trial-N*, export/deploy-run-N.txt.
#   results/proof-0.37mb/decide.sh N     (from the repository root, on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:?usage: decide.sh TRIAL}"
D=results/proof-0.37mb
DSE="${DSE:-.venv/bin/dse}"
DATA="${DSE_DATA_DIR:-../shared/data}"
S="sqlite:///$D/dse.db"
"$DSE" compare --study proof-0.37mb --trial "$N" --baseline hps-06-0.5x --epochs 30 \
  --comparisons 5 --rounds 20 --storage "$S" --out "$D/compare-trial$N.json" \
  > "$D/compare-trial$N.txt" 2>&1 || { cat "$D/compare-trial$N.txt"; exit 2; }
"$DSE" export --study proof-0.37mb --trial "$N" --confirmed --int8 --storage "$S" \
  --data-dir "$DATA" --out "$D/export/trial-$N.onnx" > "$D/export/export-$N.txt" 2>&1
for m in "trial-$N.onnx" "trial-$N.int8.onnx"; do  # the per-frame lines, but the last two, dropped
  echo "\$ dse deploy run --model $D/export/$m --source $DATA/cifar-10-batches-bin/test_batch.bin"
  "$DSE" deploy run --model "$D/export/$m" --source "$DATA/cifar-10-batches-bin/test_batch.bin" 2>&1 | tail -3
done > "$D/export/deploy-run-$N.txt"
cat "$D/compare-trial$N.txt" "$D/export/export-$N.txt" "$D/export/deploy-run-$N.txt"
