# The recipe study's arms as `dse train` options, sourced by run.sh here and by
# ../frontier-run/run.sh (which trains with the arm this study chooses).
declare -A ARMS=(
  [default]=""
  [ta]="--recipe-arg policy=trivialaugment"
  [cutmix]="--recipe-arg mix=cutmix --recipe-arg mix_ramp=0.1"
  [strong]="--recipe-arg policy=trivialaugment --recipe-arg erasing=0.25 --recipe-arg mix=cutmix --recipe-arg mix_ramp=0.1 --ema-decay 0.999"
)
