"""Time accounting of the long run from its epoch history (metrics.json when finished,
else resume.pt): the recorded sum of epoch times, the median epoch x epochs, and the
epochs that took over 1.5x the median (pauses or other work on the same cores); with a
pauses file (lines "... paused N s ..."), the sum less those pauses.

    .venv/bin/python results/long-run/timing.py results/long-run/trial-119-e200
    .venv/bin/python results/long-run/timing.py results/long-run-2/run results/long-run-2/pauses.txt
"""

from __future__ import annotations

import json
import re
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


def paused_s(pauses: Path) -> int:
    """Seconds of the pauses a pauses file lists."""
    return sum(int(m.group(1)) for m in re.finditer(r"paused (\d+) s", pauses.read_text()))


def main(folder: Path, pauses: Path | None = None) -> None:
    rows, planned = history(folder)
    times = [r["epoch_s"] for r in rows]
    median = statistics.median(times)
    slow = [(r["epoch"], round(r["epoch_s"])) for r in rows if r["epoch_s"] > 1.5 * median]
    print(f"{len(rows)} of {planned} epochs; last test accuracy {rows[-1]['val_acc']:.4f}")
    print(f"recorded epoch times: sum {sum(times) / 3600:.2f} h, median {median:.1f} s "
          f"(training {statistics.median(r['train_s'] for r in rows):.1f} s + test "
          f"{statistics.median(r['eval_s'] for r in rows):.1f} s)")
    if pauses is not None:
        p = paused_s(pauses)
        print(f"less {p} s of pauses ({pauses.name}): {(sum(times) - p) / 3600:.2f} h of training")
    print(f"median x {planned} epochs = {median * planned / 3600:.2f} h")
    print(f"epochs over 1.5x the median (epoch, s): {slow}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
