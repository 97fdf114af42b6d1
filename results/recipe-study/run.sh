#!/usr/bin/env bash
# The recipe study behind the long run. One run of trial 119's
# architecture (proof-0.37mb) with recipe ARM and seed SEED, 30 epochs on 45,000 CIFAR-10
# training images, validated on the other 5,000 (never the test set: the recipe is chosen
# on validation accuracy). One torch thread: run two at a time on the 2 cores.
# Arms: default = dse's default recipe (SGD Nesterov 0.9, lr 0.1, cosine to 0, weight decay
# 5e-4, batch 128, crop + flip), the long run's; ls0.1 = the same with label smoothing 0.1.
# Usage: results/recipe-study/run.sh ARM SEED [--resume results/recipe-study/ARM-sSEED/resume.pt]
set -euo pipefail
cd "$(dirname "$0")/../.."
arm=$1 seed=$2
shift 2
case $arm in
  default) extra=() ;;
  ls0.1) extra=(--label-smoothing 0.1) ;;
  *) echo "unknown arm '$arm' (default, ls0.1)" >&2; exit 2 ;;
esac
export OMP_NUM_THREADS=1
exec "${DSE_PYTHON:-.venv/bin/python}" -m dse.cli train \
  --model-from results/proof-0.37mb/studies/proof-0.37mb/confirm/trial-00119-e30-s0/checkpoint.pt \
  --epochs 30 --val-size 5000 --seed "$seed" --resumable --device cpu \
  --data-dir "${DSE_DATA_DIR:-../shared/data}" --out "results/recipe-study/$arm-s$seed" \
  "${extra[@]}" "$@"
