#!/usr/bin/env bash
# Recipe study at a long budget (README.md: plan and decision rule). Two single-threaded
# processes from the repository root, each working through its list of runs; every run
# writes resume.pt after each epoch, and running this script again continues every
# unfinished run and skips finished ones (their metrics.json exists).
#   A: default-s0, ta-s0, cutmix-s0, strong-s0      B: the same arms, seed 1
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
CODE="${DSE_CODE:-$(cd "$D/../.." && pwd)}"
DSE="${DSE_BIN:-$CODE/.venv/bin/dse}"
DATA="$(cd "${DSE_DATA_DIR:-$CODE/../shared/data}" && pwd)"
export OMP_NUM_THREADS=1
source "$D/arms.sh"  # ARMS: arm -> its `dse train` options
echo "$(date -u +%FT%TZ) started or continued on $(lscpu | sed -n 's/^Model name: *//p')" \
  >> "$D/pauses.txt"
one() {  # arm seed
  local out="$D/$1-s$2" resume=()
  [ -f "$out/metrics.json" ] && return 0
  [ -f "$out/resume.pt" ] && resume=(--resume "$out/resume.pt")
  (cd "$CODE" && "$DSE" train --model dse-found-t131 --epochs 100 --val-size 5000 \
    --seed "$2" --device cpu --compile auto --resumable --data-dir "$DATA" --out "$out" \
    ${ARMS[$1]} "${resume[@]}") >> "$out.log" 2>&1
}
for s in 0 1; do
  nohup bash -c "$(declare -p ARMS); $(declare -f one); D='$D' CODE='$CODE' DSE='$DSE' \
    DATA='$DATA'; for a in default ta cutmix strong; do one \$a $s || exit 1; done" \
    > /dev/null 2>&1 &
done
echo "started; logs: $D/<arm>-s<seed>.log"
