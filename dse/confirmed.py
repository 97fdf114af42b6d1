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


def runs(store: Store, study: str, who: int | str, epochs: int, train_images: int = 0
         ) -> list:
    """Complete confirmation runs of trial `who` (a number) or of the baseline `who` (a
    registered model's name) at `epochs` on `train_images` (0: all), by seed."""
    out = []
    for r in store.confirmations(study):
        if r.status != Status.COMPLETE or r.test_accuracy is None:
            continue
        if r.epochs != epochs or (r.train_images or 0) != train_images:
            continue
        if (r.number == who) if isinstance(who, int) else (
                r.number < 0 and r.candidate["model"].get("name") == who):
            out.append(r)
    return sorted(out, key=lambda r: r.seed)


def common_epochs(store: Store, study: str, a: int | str, b: int | str) -> int | None:
    """The longest training (epochs, all images) at which both have at least two seeds."""
    def seeds(who):
        counts: dict[int, int] = {}
        for r in store.confirmations(study):
            if r.status == Status.COMPLETE and not r.train_images and (
                    r.number == who if isinstance(who, int) else
                    r.number < 0 and r.candidate["model"].get("name") == who):
                counts[r.epochs] = counts.get(r.epochs, 0) + 1
        return {e for e, n in counts.items() if n >= 2}
    both = seeds(a) & seeds(b)
    return max(both) if both else None


def compare(a: list[float], b: list[float]) -> dict:
    """Is `a` (the found model's test accuracies over seeds) ahead of `b` (the baseline's)?

    Means, sample standard deviations, the pooled standard deviation, whether the
    difference exceeds twice it (issue 23's goal), and Welch's t-test (unequal variances):
    t, degrees of freedom, one-sided p (H1: a's mean is higher) and two-sided p."""
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        raise ValueError("a comparison needs at least two seeds of each model")
    m1, m2 = statistics.fmean(a), statistics.fmean(b)
    s1, s2 = statistics.stdev(a), statistics.stdev(b)
    pooled = math.sqrt(((n1 - 1) * s1 ** 2 + (n2 - 1) * s2 ** 2) / (n1 + n2 - 2))
    # lazy: scipy costs ~0.5 s to import; only the statistics use it
    from scipy.stats import ttest_ind

    one = ttest_ind(a, b, equal_var=False, alternative="greater")
    two = ttest_ind(a, b, equal_var=False)
    return {"n": [n1, n2], "mean": [m1, m2], "sd": [s1, s2], "difference": m1 - m2,
            "pooled_sd": pooled, "ahead_by_twice_pooled_sd": m1 - m2 > 2 * pooled,
            "welch_t": float(one.statistic), "welch_df": float(one.df),
            "p_one_sided": float(one.pvalue), "p_two_sided": float(two.pvalue)}
