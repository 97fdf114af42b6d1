#!/usr/bin/env bash
# The main job on a fresh machine, the whole journey on CIFAR-10 in about 20 minutes on
# 2 CPU cores: install; search (SQLite store studies/dse.db); confirm the two best
# candidates and one other trial on the whole training set and the papers' hps-06-0.5x
# trained the same way, all tested on the test set; report; export the best confirmed model to int8 ONNX with
# its card. DSE_DATA_DIR (default ./data, else ../shared/data) must hold
# cifar-10-batches-bin or -py; add --download to the `dse run` line to fetch it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -z "${DSE_DATA_DIR:-}" ] && [ ! -d data ] && [ -d ../shared/data ]; then
  export DSE_DATA_DIR=../shared/data
fi
DSE=.venv/bin/dse
# 1. Search: 3-epoch proxies on 4,000 images; a MAC budget of 1.5x hps-06-0.5x keeps every
#    candidate CPU-sized (TPE, a feasible start and redrawn proposals waste few trials on
#    bigger ones). The papers' variants that fit the budget are trained as trials too (the
#    space's `baselines:`). The timeout bounds the search; running it again continues it.
#    Two workers with one core each finish 1.16x the trials of one with two cores
#    (bench/results/workers-throughput.txt).
$DSE run --space hps_cifar10 --study demo --fidelity quick --trials 60 --timeout 5m \
  --constraint "macs <= 6000000" --workers 2 "$@"
# 2. Confirm: the two best of the front, one trial off the front drawn at random (so that
#    the proxy-confirmed rank correlation rests on 3 points, not the front alone) and the
#    papers' 0.37 MB model, 2 epochs each on all 50,000 training images with one seed,
#    tested on the 10,000 test images. (A real confirmation runs longer: --epochs 30
#    --repeats 3 --sample 5; see README.)
$DSE confirm --study demo --top 2 --sample 1 --epochs 2 --baseline hps-06-0.5x
# 3. Report, front, and the confirmed models beside the papers' (Markdown).
$DSE report --study demo
$DSE pareto --study demo
$DSE frontier --study demo --out reports/demo/frontier.md
# 4. Deploy: the best confirmed model to ONNX float32 + int8, each verified on real test
#    images and measured on the whole test set, with a model card.
$DSE export --study demo --confirmed --out reports/demo/deploy/best.onnx --int8
echo "open reports/demo/index.html; the exported model and its card are in reports/demo/deploy/"
