"""One seed of trial 107's confirmation, in its own process (run beside `dse confirm`).

`dse confirm --trials 107 --repeats 3` trains seeds 0, 1, 2 one after the other; this runs
the same job as `dse confirm` would for one seed (same folder, same store record), so that
two seeds train at the same time on the two cores. `dse confirm` skips a seed that is
already complete. Usage: OMP_NUM_THREADS=1 python results/equal-budget/confirm_seed.py 2
"""

import sys
from pathlib import Path

from dse import hardware
from dse.confirm import _Runner
from dse.paths import study_folder
from dse.report.data import load_study_frame
from dse.store import Store
from dse.train import resolve_device

STUDY, TRIAL, EPOCHS = "hps-arch", 107, 15
STORAGE = "sqlite:///results/equal-budget/dse.db"
seed = int(sys.argv[1])
store = Store(STORAGE)
frame = load_study_frame(STUDY, store=store)
cand = frame.set_index("trial").loc[TRIAL, "candidate"]
run = _Runner(store, STUDY, "cifar10",
              study_folder(Path("results/equal-budget/studies"), STUDY) / "confirm",
              hardware.describe(resolve_device("cpu")), "cpu", None, None, True,
              lambda m: print(m, flush=True))
run(f"trial {TRIAL} seed {seed}", TRIAL, cand, EPOCHS, seed)
