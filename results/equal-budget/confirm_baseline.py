"""The baseline half of the equal-budget confirmation, run beside the found model's half.

Same as `dse confirm --study hps-arch --baseline hps-06-0.5x --epochs 15 --repeats 3`
without re-confirming trial 107 (which another process confirms at the same time, each
process with one thread: OMP_NUM_THREADS=1).
"""

from pathlib import Path

from dse.confirm import confirm

confirm("hps-arch", [], epochs=15, repeats=3,
        storage="sqlite:///results/equal-budget/dse.db", device="cpu",
        artifacts=Path("results/equal-budget/studies"), baselines=["hps-06-0.5x"],
        progress=False)
