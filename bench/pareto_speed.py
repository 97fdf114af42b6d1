"""Wall time of `dse pareto` on a store of 500 trials with curves (the whole CLI process).

The store is written through Optuna's API by tests/synthetic.py (invented values: 500
trials, 10 epochs of curves each). Runs the command several times and prints the median.

    python bench/pareto_speed.py [--trials 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from synthetic import make_study  # noqa: E402

from dse import hardware  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dse-pareto-"))
    t0 = time.perf_counter()
    make_study(f"sqlite:///{tmp}/studies/dse.db", n=args.trials)
    print(f"fixture: {args.trials} trials written in {time.perf_counter() - t0:.1f}s")
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "dse.cli", "pareto", "--study", "synthetic"],
                           cwd=tmp, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        assert r.returncode == 0, r.stderr
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import dse.cli, dse.report.build"],
                   check=True)
    imports = time.perf_counter() - t0
    print(f"`dse pareto --study synthetic` on {args.trials} trials: median "
          f"{statistics.median(times):.2f}s over {args.runs} runs (min {min(times):.2f}s); "
          f"of which Python start-up and imports alone take {imports:.2f}s; CPU "
          f"{hardware.cpu_name()}")


if __name__ == "__main__":
    main()
