"""The home of confirmed results: which confirmation runs count, how they are grouped
(per trial or baseline, epochs and training images; seeds averaged), and how a proxy's
ranking is compared with them. `dse confirm` writes the runs; the report, `dse frontier`,
`dse export --confirmed` and the CLI read them through here.
"""

from __future__ import annotations

import math
import statistics

from dse.records import Status
from dse.store import Store


def baselines(store: Store, study: str) -> list[dict]:
    """The baselines confirmed for a study: name, epochs, seeds, test accuracy, size."""
    rows: dict[tuple[str, int, int], dict] = {}
    for r in store.confirmations(study):
        if r.number >= 0 or r.status != Status.COMPLETE:
            continue
        key = (r.candidate["model"]["name"], r.epochs, r.train_images)
        row = rows.setdefault(key, {"name": key[0], "epochs": r.epochs,
                                    "train_images": r.train_images, "accs": [],
                                    **(r.measurements or {})})
        row["accs"].append(r.test_accuracy)
    out = []
    for row in rows.values():
        accs = row.pop("accs")
        out.append({**row, "seeds": len(accs), "test_accuracy": statistics.fmean(accs),
                    "test_accuracy_std": statistics.pstdev(accs) if len(accs) > 1 else 0.0})
    return out


def summaries(store: Store, study: str) -> list[dict]:
    """Per confirmed trial and setting (epochs, training images; 0 = all): seeds, test
    accuracy mean and std (complete runs only)."""
    groups: dict[tuple[int, int, int], list[float]] = {}
    for r in store.confirmations(study):
        if r.status == Status.COMPLETE and r.test_accuracy is not None:
            groups.setdefault((r.number, r.epochs, r.train_images), []).append(r.test_accuracy)
    out = []
    for (number, epochs, images), accs in sorted(groups.items()):
        out.append({"trial": number, "epochs": epochs, "train_images": images,
                    "seeds": len(accs),
                    "test_accuracy": statistics.fmean(accs),
                    "test_accuracy_std": statistics.pstdev(accs) if len(accs) > 1 else 0.0})
    return out


def rank_correlation(proxy: list[float], confirmed: list[float]) -> dict:
    """Spearman and Kendall rank correlation of proxy and confirmed accuracies, with n."""
    n = len(proxy)
    if n < 3 or len(set(proxy)) < 2 or len(set(confirmed)) < 2:
        return {"n": n, "spearman": math.nan, "kendall": math.nan}
    # lazy: scipy costs ~0.5 s to import; only the statistics use it
    from scipy.stats import kendalltau, spearmanr

    return {"n": n, "spearman": float(spearmanr(proxy, confirmed).statistic),
            "kendall": float(kendalltau(proxy, confirmed).statistic)}
