"""The home of confirmed results: which confirmation runs count, how they are grouped
(per trial or baseline, epochs and training images; seeds averaged), and how a proxy's
ranking is compared with them. `dse confirm` writes the runs; the report, `dse frontier`,
`dse export --confirmed` and the CLI read them through here.
"""

from __future__ import annotations

import math
import statistics
import zlib

from dse import metrics
from dse.errors import ConfigError
from dse.records import Status
from dse.store import Store


def counted(store: Store, study: str) -> list:
    """The one rule for which confirmation runs count: complete, with a test accuracy."""
    return [r for r in store.confirmations(study)
            if r.status == Status.COMPLETE and r.test_accuracy is not None]


def baseline_numbers(records: list) -> dict[str, int]:
    """Registered model name -> the negative number its first stored run has, among a
    study's confirmation records (older versions numbered baselines by the registry's
    order, which grows, so one variant may stand under two numbers in an old store)."""
    out: dict[str, int] = {}
    for r in sorted((r for r in records if r.number < 0), key=lambda r: r.id):
        out.setdefault(r.candidate["model"].get("name", "?"), r.number)
    return out


def baseline_number(store: Store, study: str, name: str, epochs: int, seed: int,
                    train_images: int = 0) -> int:
    """The number `dse confirm --baseline name` stores a run under in `study`: the number
    of that very run where it is stored, else the one the study uses for the variant, else
    one fixed by the name alone."""
    records = store.confirmations(study)
    for r in records:
        if r.number < 0 and r.candidate["model"].get("name") == name and (
                r.epochs, r.seed, r.train_images or 0) == (epochs, seed, train_images):
            return r.number
    stored = baseline_numbers(records)
    if name in stored:
        return stored[name]
    number = -(1_000 + zlib.crc32(name.encode()) % 1_000_000_000)
    if number in stored.values():  # two names with one checksum: not among dse's models
        raise ConfigError(f"baseline {name!r} would share the number {number} with another "
                          f"variant's runs in study {study!r}; rename the registered model.")
    return number


def groups(store: Store, study: str) -> dict[tuple[int, int, int], list]:
    """Counted runs by (trial number, epochs, training images; 0 = all), seeds in order.
    Baselines have negative numbers (`dse confirm --baseline`), one per variant."""
    out: dict[tuple[int, int, int], list] = {}
    runs = counted(store, study)
    first = baseline_numbers(runs)
    for r in runs:
        number = first[r.candidate["model"].get("name", "?")] if r.number < 0 else r.number
        out.setdefault((number, r.epochs, r.train_images or 0), []).append(r)
    return {k: sorted(v, key=lambda r: r.seed) for k, v in sorted(out.items())}


def headline_rank(epochs: int, train_images: int) -> tuple:
    """Which setting of a trial's confirmations is its headline figure: the whole training
    set first, then the longest training."""
    return (train_images == 0, epochs, train_images)


def trained_metrics() -> list[str]:
    """Metrics a confirmation measures after training besides its test accuracy (the
    study's trained metrics, plugins' included): shown as `confirmed_<name>`."""
    return [m.name for m in metrics.all_metrics()
            if not m.arch and m.by_study and m.name != "accuracy"]


def _accuracy(runs: list) -> dict:
    """Mean test accuracy over the seeds and its sample standard deviation (as `dse compare`)."""
    accs = [r.test_accuracy for r in runs]
    out = {"seeds": len(accs), "test_accuracy": statistics.fmean(accs),
           "test_accuracy_std": statistics.stdev(accs) if len(accs) > 1 else 0.0}
    for name in trained_metrics():  # older runs may lack a metric: mean over those with it
        xs = [r.measurements[name] for r in runs if name in (r.measurements or {})]
        if xs:
            out[f"confirmed_{name}"] = statistics.fmean(xs)
    return out


def baselines(store: Store, study: str) -> list[dict]:
    """The baselines confirmed for a study: name, epochs, seeds, test accuracy, size."""
    by_name: dict[tuple[str, int, int], list] = {}
    for (number, epochs, images), runs in groups(store, study).items():
        if number < 0:
            by_name.setdefault((runs[0].candidate["model"]["name"], epochs, images),
                               []).extend(runs)
    return [{"name": name, "epochs": epochs, "train_images": images,
             **(runs[0].measurements or {}), **_accuracy(runs)}
            for (name, epochs, images), runs in by_name.items()]


def summaries(store: Store, study: str) -> list[dict]:
    """Per confirmed trial and setting (epochs, training images; 0 = all): seeds, test
    accuracy mean and std."""
    return [{"trial": number, "epochs": epochs, "train_images": images, **_accuracy(runs)}
            for (number, epochs, images), runs in groups(store, study).items() if number >= 0]


def headlines(store: Store, study: str) -> dict[int, dict]:
    """Per confirmed trial, the summary of its headline setting (`headline_rank`)."""
    best: dict[int, dict] = {}
    for s in summaries(store, study):
        old = best.get(s["trial"])
        if old is None or headline_rank(s["epochs"], s["train_images"]) > headline_rank(
                old["epochs"], old["train_images"]):
            best[s["trial"]] = s
    return best


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
    return sorted((r for r in counted(store, study) if _of(r, who) and r.epochs == epochs
                   and (r.train_images or 0) == train_images), key=lambda r: r.seed)


def _of(run, who: int | str) -> bool:
    """Whether a confirmation run is of trial `who` (a number) or baseline `who` (a name)."""
    if isinstance(who, int):
        return run.number == who
    return run.number < 0 and run.candidate["model"].get("name") == who


def common_epochs(store: Store, study: str, a: int | str, b: int | str) -> int | None:
    """The longest training (epochs, all images) at which both have at least two seeds."""
    def seeds(who):
        counts: dict[int, int] = {}
        for r in counted(store, study):
            if not r.train_images and _of(r, who):
                counts[r.epochs] = counts.get(r.epochs, 0) + 1
        return {e for e, n in counts.items() if n >= 2}
    both = seeds(a) & seeds(b)
    return max(both) if both else None


def compare(a: list[float], b: list[float]) -> dict:
    """Is `a` (the found model's test accuracies over seeds) ahead of `b` (the baseline's)?

    Means, sample standard deviations, the pooled standard deviation, the difference in
    pooled standard deviations (None when both models' seeds agree exactly) and whether it
    exceeds 2 (a common bar for a win), and Welch's t-test (unequal variances):
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
            "difference_in_pooled_sd": (m1 - m2) / pooled if pooled > 0 else None,
            "welch_t": float(one.statistic), "welch_df": float(one.df),
            "p_one_sided": float(one.pvalue), "p_two_sided": float(two.pvalue)}


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment of p-values from tests against one baseline (in the
    given order): the k-th smallest is multiplied by (n - k + 1), kept at least the one
    before it and at most 1. Uniformly more powerful than Bonferroni, same guarantee."""
    n = len(pvalues)
    order = sorted(range(n), key=lambda i: pvalues[i])
    out, running = [1.0] * n, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (n - rank) * pvalues[i]))
        out[i] = running
    return out


def bonferroni(p: float, comparisons: int) -> float:
    """A p-value adjusted for `comparisons` tests against the same baseline (Bonferroni:
    p times their number, at most 1): the chance that any of them looks this good by luck."""
    if comparisons < 1:
        raise ValueError("comparisons must be 1 or more")
    return min(1.0, p * comparisons)
