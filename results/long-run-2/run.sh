#!/usr/bin/env bash
# Issue 23 item 3, second long run: trial 119's architecture (proof-0.37mb), the long run's
# recipe (../long-run/; the recipe study, ../recipe-study/, kept it: no label smoothing) and as many epochs
# as fit in the 3 training hours (README), on all 50,000 CIFAR-10 training images, tested on
# the 10,000 test images after every epoch; seed 0, as the first long run (same initial
# weights and batch order). 2 torch threads on the 2-core machine; resumable (resume.pt
# after every epoch).
# First start:   results/long-run-2/run.sh > results/long-run-2/train.log 2>&1
# Resume:        results/long-run-2/run.sh --resume results/long-run-2/run/resume.pt >> results/long-run-2/train.log 2>&1
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=2
exec "${DSE_PYTHON:-.venv/bin/python}" -m dse.cli train \
  --model-from results/proof-0.37mb/studies/proof-0.37mb/confirm/trial-00119-e30-s0/checkpoint.pt \
  --epochs 220 --label-smoothing 0.0 \
  --val-size 0 --seed 0 --resumable --device cpu --data-dir "${DSE_DATA_DIR:-../shared/data}" \
  --out results/long-run-2/run "$@"
