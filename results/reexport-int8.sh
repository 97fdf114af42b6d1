#!/usr/bin/env bash
# The committed int8 exports written again with 7-bit weights (dse.deploy.quantize:
# reduce_range, so that CPUs without VNNI compute what CPUs with it do). Each model card's own
# export command runs again from the committed checkpoint (float32 file, int8 file, card), then
# the int8 file's accuracy in onnxruntime on the 10,000 test images. Log: results/reexport-int8.txt
#   results/reexport-int8.sh        (from the repository root, on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
export DSE_DATA_DIR="${DSE_DATA_DIR:-../shared/data}"
PY="${DSE_PYTHON:-.venv/bin/python}"
{
  echo "# $(date -u +%FT%TZ) $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); flags: $(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  for card in results/*/export/*.onnx.card.json; do
    cmd=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['command'])" "$card")
    old=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['int8']['test_accuracy'])" "$card")
    echo "\$ $cmd    (int8 before: $old)"
    eval ".venv/bin/$cmd" 2>&1 | grep -E "int8|float32" | tail -n 4
  done
} | tee results/reexport-int8.txt
