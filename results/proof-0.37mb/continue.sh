#!/usr/bin/env bash
# The second attempt (README "Continued with a lower bound on size"): the study proof-0.37mb continued under space-large.yaml by two
# single-threaded processes (hps-06-0.5x is already trial 6: no baseline trials), each
# stopping after 15 trials or 60 minutes. Logs log-7.txt and log-8.txt.
#   results/proof-0.37mb/continue.sh        (from the repository root; waits for both)
# In parts, machine time allowing: TIMEOUT=15m TRIALS=15 ... then the rest of the 60 minutes
# (the logs are appended to). TRIALS_7 / TRIALS_8 override TRIALS for one process, so that
# a later part runs only what is left of each process's 15 trials.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1
for n in 7 8; do
  trials_n="TRIALS_$n"
  "${DSE:-.venv/bin/dse}" run --space results/proof-0.37mb/space-large.yaml --trials "${!trials_n:-${TRIALS:-15}}" \
    --workers 1 --threads 1 --timeout "${TIMEOUT:-60m}" --no-baselines --log-format plain \
    --storage sqlite:///results/proof-0.37mb/dse.db --artifacts results/proof-0.37mb/studies \
    --data-dir "${DSE_DATA_DIR:-../shared/data}" --device cpu \
    >> "results/proof-0.37mb/log-$n.txt" 2>&1 &
  sleep 20  # the second process starts once the first has opened the study
done
wait
