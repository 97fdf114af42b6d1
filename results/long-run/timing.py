"""Time accounting of the long run from its epoch history (metrics.json when finished,
else resume.pt): the recorded sum of epoch times, the median epoch x epochs, and the
epochs that took over 1.5x the median (pauses or other work on the same cores).

    .venv/bin/python results/long-run/timing.py results/long-run/trial-119-e200
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def history(folder: Path) -> tuple[list[dict], int]:
    """The epoch rows so far and the planned epoch count."""
    metrics = folder / "metrics.json"
    if metrics.is_file():
        m = json.loads(metrics.read_text())
        return m["epochs"], m["train_config"]["epochs"]
    import torch

    state = torch.load(folder / "resume.pt", map_location="cpu", weights_only=False)
    return state["history"], state["train_config"]["epochs"]


def main(folder: Path) -> None:
    rows, planned = history(folder)
    times = [r["epoch_s"] for r in rows]
    median = statistics.median(times)
    slow = [(r["epoch"], round(r["epoch_s"])) for r in rows if r["epoch_s"] > 1.5 * median]
    print(f"{len(rows)} of {planned} epochs; last test accuracy {rows[-1]['val_acc']:.4f}")
    print(f"recorded epoch times: sum {sum(times) / 3600:.2f} h, median {median:.1f} s "
          f"(training {statistics.median(r['train_s'] for r in rows):.1f} s + test "
          f"{statistics.median(r['eval_s'] for r in rows):.1f} s)")
    print(f"median x {planned} epochs = {median * planned / 3600:.2f} h")
    print(f"epochs over 1.5x the median (epoch, s): {slow}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
