#!/usr/bin/env bash
# A long run of trial 131 (proof-0.37mb's continuation; the best found <= 0.37 MB model,
# confirmed at 81.08 % over 3 seeds x 30 epochs): the long runs' recipe (../long-run-2/:
# SGD Nesterov 0.9, lr 0.1 cosine to 0, weight decay 5e-4, batch 128, crop + flip, no label
# smoothing) for 100 epochs, as many as fit in the 3 training hours and in one session on the slower (AMD EPYC)
# machine (README), on all 50,000 CIFAR-10 training images, tested on the 10,000 test images
# after every epoch; seed 0. 2 torch threads; resumable (resume.pt after every epoch).
# First start:   results/long-run-3/run.sh > results/long-run-3/train.log 2>&1
# Resume:        results/long-run-3/run.sh --resume results/long-run-3/run/resume.pt >> results/long-run-3/train.log 2>&1
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=2
exec "${DSE_PYTHON:-.venv/bin/python}" -m dse.cli train \
  --model-from results/proof-0.37mb/studies/proof-0.37mb/confirm/trial-00131-e30-s0/checkpoint.pt \
  --epochs 100 --label-smoothing 0.0 \
  --val-size 0 --seed 0 --resumable --device cpu --data-dir "${DSE_DATA_DIR:-../shared/data}" \
  --out results/long-run-3/run "$@"
