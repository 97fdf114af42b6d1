#!/usr/bin/env bash
# After dse auto has finished (README.md): the re-derivation its acceptance asks for, from
# the store beside this script. From the repository root:
#   1. dse compare over the finalists against hps-06-1x at 20 epochs (Holm over them):
#      compare.json, compare.txt; the test suite re-derives compare.json again;
#   2. the exported ONNX files re-checked in onnxruntime on the 10,000 test images
#      (the embedded runtime, dse deploy run): deploy-*.txt;
#   3. the winner (the exported pick) timed side by side with hps-06-1x in onnxruntime
#      (run it alone on a quiet machine): compare-latency.json, compare-latency.txt.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
PY="${DSE_PYTHON:-$CODE/.venv/bin/python}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
AUTO="$D/studies/auto-1.24mb/auto"
DB="sqlite:///$D/dse.db"
read -r -a TRIALS <<< "$("$PY" -c "import json,sys; print(' '.join('--trial %d' % t for t in json.load(open(sys.argv[1]))['finalists']))" "$AUTO/auto.json")"
PICK="$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['exported'])" "$AUTO/auto.json")"
cd "$CODE"
"$PY" -m dse.cli compare --study auto-1.24mb-ladder "${TRIALS[@]}" --baseline hps-06-1x \
  --epochs 20 --no-latency --storage "$DB" --out "$D/compare.json" | tee "$D/compare.txt"
for f in "$AUTO/trial-$PICK.onnx" "$AUTO/trial-$PICK.int8.onnx"; do
  "$PY" -m dse.cli deploy run --model "$f" --source "$DATA/cifar-10-batches-bin/test_batch.bin" \
    | tail -n 3 | tee "$D/deploy-$(basename "$f" .onnx).txt"
done
"$PY" -m dse.cli compare --study auto-1.24mb-ladder --trial "$PICK" --baseline hps-06-1x \
  --epochs 20 --rounds 20 --storage "$DB" --out "$D/compare-latency.json" \
  | tee "$D/compare-latency.txt"
