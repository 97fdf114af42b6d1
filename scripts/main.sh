#!/usr/bin/env bash
# The main job on a fresh machine: install, run a small real study on CIFAR-10 (SQLite
# store studies/dse.db), write its report to reports/demo/ and print the front.
# About 15 minutes on 2 CPU cores. DSE_DATA_DIR (default ./data, else ../shared/data) must
# hold cifar-10-batches-bin or -py; add --download to the `dse run` line to fetch it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -z "${DSE_DATA_DIR:-}" ] && [ ! -d data ] && [ -d ../shared/data ]; then
  export DSE_DATA_DIR=../shared/data
fi
# A constraint on MACs keeps every candidate CPU-sized; larger ones are rejected before
# training, at no cost (about half of the first generation). The timeout bounds the job at
# about 15 minutes; running the command again continues the study.
.venv/bin/dse run --space hps_cifar10 --study demo --fidelity quick --trials 60 \
  --timeout 13m --constraint "macs <= 20000000" "$@"
.venv/bin/dse report --study demo
.venv/bin/dse pareto --study demo
# The front's most accurate model, exported for an embedded CPU: ONNX float32 + int8, each
# verified on real test images and measured on the whole test set, with a model card.
.venv/bin/dse export --study demo --out reports/demo/deploy/best.onnx --int8
echo "open reports/demo/index.html in a browser; the exported model and its card are in reports/demo/deploy/"
