"""Ranking signals of a training curve: what a short training ranks candidates by.

`dse fidelity check` measures how well each ranks candidates as a long training would;
successive halving can rank trials at a rung by the one a calibration chose
(`scheduler: {halving: {signal: ...}}`).
"""

from __future__ import annotations

import numpy as np

#: Ranking signals computed from one candidate-fidelity curve (higher ranks higher).
SIGNALS = {
    "last_val_acc": "validation accuracy at the last epoch",
    "best_val_acc": "best validation accuracy of any epoch",
    "neg_train_loss_sum": "minus the sum of the epochs' training losses",
    "extrapolated": "accuracy extrapolated to infinite epochs (fit of a + b / epoch)",
    "params": "parameter count alone (the zero-cost baseline a signal must beat)",
}


def signals(history: list[dict], params: float) -> dict[str, float]:
    """Every ranking signal of one training curve."""
    acc = [r["val_acc"] for r in history]
    out = {"last_val_acc": acc[-1], "best_val_acc": max(acc),
           "neg_train_loss_sum": -sum(r["train_loss"] for r in history), "params": params}
    if len(acc) >= 2:
        e = np.arange(1, len(acc) + 1, dtype=float)
        design = np.stack([np.ones_like(e), 1 / e], 1)
        (a, _), *_ = np.linalg.lstsq(design, np.asarray(acc), rcond=None)
        out["extrapolated"] = float(a)
    else:
        out["extrapolated"] = acc[-1]
    return out
