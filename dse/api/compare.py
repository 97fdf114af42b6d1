"""`compare`: is a confirmed model ahead of a confirmed baseline, and is it as fast?"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from dse import confirmed, hardware
from dse.errors import ConfigError
from dse.records import Candidate
from dse.store import Store


def compare(study: str, trial: int, baseline: str, *, epochs: int | None = None,
            seeds: list[int] | None = None, comparisons: int = 1, latency: bool = True,
            rounds: int = 5, storage: str | None = None, command: str = "",
            train_images: int | None = None) -> dict:
    """Test accuracies of confirmed `trial` against confirmed `baseline`, trained the same
    way (same epochs, all training images, test set): means, sample sds, pooled sd,
    Welch's t-test (`dse.confirmed.compare`), the one-sided p Bonferroni-adjusted for
    `comparisons` tests, and (with `latency`) both models' onnxruntime latency timed in
    alternating rounds from their first compared seed's checkpoints.

    `epochs` defaults to the longest training both have with two or more seeds; `seeds`
    keeps only those seeds; `train_images` compares runs on that many training images
    (default: all). Returns what `dse compare --out` writes."""
    only = set(seeds) if seeds is not None else None
    store = Store(storage, create=False)
    epochs = epochs or confirmed.common_epochs(store, study, trial, baseline)
    if epochs is None:
        raise ConfigError(f"trial {trial} and {baseline[:40]!r} of study {study[:60]!r} have no "
                          f"training length at which both have two or more complete seeds; "
                          f"run `dse confirm --study {study[:60]} --trials {trial} --baseline "
                          f"{baseline[:40]} --repeats 3 --epochs N` first.")
    found, base = ([r for r in confirmed.runs(store, study, w, epochs, train_images or 0)
                    if only is None or r.seed in only] for w in (trial, baseline))
    if len(found) < 2 or len(base) < 2:
        raise ConfigError(f"at {epochs} epochs trial {trial} has {len(found)} and "
                          f"{baseline[:40]!r} {len(base)} complete seeds"
                          f"{' of those --seeds names' if only else ''}; a comparison needs "
                          f"two or more of each.")
    stats = confirmed.compare([r.test_accuracy for r in found], [r.test_accuracy for r in base])
    if comparisons > 1:
        stats["p_one_sided_adjusted"] = confirmed.bonferroni(stats["p_one_sided"], comparisons)
    result = {"study": study, "trial": trial, "baseline": baseline, "epochs": epochs,
              "split": "CIFAR test set",
              **({"seeds": sorted(only)} if only is not None else {}),
              **({"comparisons": comparisons} if comparisons > 1 else {}),
              **({"train_images": train_images} if train_images else {}), "accuracies": {
                  str(trial): [r.test_accuracy for r in found],
                  baseline: [r.test_accuracy for r in base]}, **stats,
              "command": command}
    if latency:
        result["latency"] = side_by_side_latency(store, found, base, rounds, study)
    return result


def compare_each(study: str, trials: list[int], baseline: str, **options) -> list[dict]:
    """`compare` of each of `trials` against `baseline` (the same `options`); with two or
    more, each one-sided p is also given Holm-adjusted over them (`p_one_sided_holm`,
    `dse.confirmed.holm`): the family of tests a set of finalists makes against one
    baseline, as `dse auto` adjusts it."""
    out = [compare(study, t, baseline, **options) for t in trials]
    if len(out) > 1:
        for r, p in zip(out, confirmed.holm([r["p_one_sided"] for r in out]), strict=True):
            r["p_one_sided_holm"] = p
            r["holm_over"] = list(trials)
    return out


def side_by_side_latency(store: Store, found: list, base: list, rounds: int, study: str
                         ) -> dict:
    """Two models, each from the first of its confirmation runs whose checkpoint is here
    (found again if the repository moved), exported to ONNX and timed in alternating rounds
    (onnxruntime, batch 1, one thread). Where every checkpoint of one is on another machine,
    its architecture is timed with its initial weights: float32 inference does the same work
    whatever the weights hold (the result's `weights` says which)."""
    # lazy: the export and the timing load torch and onnxruntime, only for --latency
    from dse.deploy.latency import export_onnx_quietly, side_by_side
    from dse.train.checkpoint import load_model
    from dse.train.job import build_model

    load = os.getloadavg()[0]
    try:
        attrs = store.optuna.get_study_user_attrs(store.optuna.get_study_id_from_name(study))
    except KeyError:  # confirmations without an Optuna study: CIFAR-10's default
        attrs = {}
    weights = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, runs in enumerate((found, base)):
            here = [p for p in (store.locate(r.checkpoint) for r in runs) if p is not None]
            if here:
                model, _ = load_model(here[0])
            else:
                model = build_model(dict(Candidate.from_dict(runs[0].candidate).model),
                                    attrs.get("dataset", "cifar10"))
            weights.append("trained" if here else "initial (its checkpoints are elsewhere)")
            paths.append(export_onnx_quietly(model.eval(), Path(tmp) / f"m{i}.onnx"))
        timed = side_by_side(paths, rounds)
    medians = [[t.median_ms for t in per] for per in timed]
    ratios = [a / b for a, b in zip(*medians, strict=True)]
    return {"runtime": "onnxruntime", "threads": 1, "batch": 1, "rounds": rounds,
            "median_ms": [statistics.median(m) for m in medians], "round_medians_ms": medians,
            "ratios": ratios, "ratio": statistics.median(ratios), "load_average": load,
            "weights": weights,
            "hardware": hardware.describe()}
