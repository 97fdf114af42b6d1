#!/usr/bin/env bash
# Issue 23 item 3: the long run. Trial 119's architecture (proof-0.37mb, calibration
# candidate c011), trained from scratch for 200 epochs (the papers' epoch count) on all
# 50,000 CIFAR-10 training images, evaluated on the 10,000 test images after every epoch,
# with dse's default recipe (the one every confirmation used): SGD Nesterov momentum 0.9,
# lr 0.1, cosine to 0, weight decay 5e-4, batch 128, random crop + flip.
# 2 torch threads on the 2-core machine; resumable (resume.pt after every epoch).
# First start:   results/long-run/run.sh
# Resume:        results/long-run/run.sh --resume results/long-run/trial-119-e200/resume.pt
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=2
exec "${DSE_PYTHON:-.venv/bin/python}" -m dse.cli train \
  --model-from results/proof-0.37mb/studies/proof-0.37mb/confirm/trial-00119-e30-s0/checkpoint.pt \
  --epochs 200 --val-size 0 --seed 0 --resumable --device cpu --data-dir "${DSE_DATA_DIR:-../shared/data}" \
  --out results/long-run/trial-119-e200 "$@"
