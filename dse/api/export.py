"""`export`: a study's trial, its confirmation or a checkpoint, written as a verified ONNX
(or pt2) file with int8 and a model card."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dse import confirmed as confirmed_runs
from dse import metrics
from dse.confirm import REBUILT, run_folder
from dse.confirm import rebuild as rebuild_run
from dse.deploy.card import portable
from dse.deploy.export import export_model
from dse.errors import ConfigError
from dse.measure import count_macs, count_params, size_mb
from dse.models import create
from dse.paths import study_folder
from dse.records import Candidate, RunResult, Status
from dse.report.data import load_study_frame, pareto_mask
from dse.store import Store
from dse.train import load_model


@dataclass(frozen=True)
class Rebuild:
    """Where and on what `export` trains a confirmation run again whose checkpoint is on
    another machine: the artifacts folder (its `<study>/confirm/`) and the device."""

    artifacts: Path = Path("studies")
    device: str = "auto"


def export(out: Path, *, study: str | None = None, trial: int | None = None,
           checkpoint: Path | None = None, model: str | None = None, fmt: str = "onnx",
           int8: bool = False, calibration: int = 512, verify_images: int = 1000,
           threads: int = 1, confirmed: bool = False, dataset: str = "cifar10",
           storage: str | None = None, data_dir: Path | None = None, command: str = "",
           rebuild: Rebuild | None = None, say: Callable[[str], None] = print) -> dict:
    """Export `study`'s `trial` (its study checkpoint, or with `confirmed` its headline
    confirmation's; without `trial` the front's best, or the best confirmed) or a
    `checkpoint` file to `out`; verify it against PyTorch on real test images, measure
    it (and its int8 twin) on the whole test set and write the model card. With `rebuild`,
    a confirmation whose checkpoints are all on another machine is trained again here
    (`dse.confirm.rebuild`). Returns the card."""
    if (study is None) == (checkpoint is None) or (study is None and trial is not None):
        raise ConfigError("give either --study S [--trial N], or --checkpoint PATH (with "
                          "--model NAME for a bare state_dict).")
    if rebuild is not None and not confirmed:
        raise ConfigError("--rebuild trains a confirmation run again: give it with "
                          "--confirmed (and --study).")
    facts, meas = {"dataset": dataset}, {}
    if study is not None:
        checkpoint, facts, meas = _confirmed_checkpoint(
            study, trial, storage, say, rebuild, data_dir) if confirmed else \
            _trial_checkpoint(study, trial, storage, say)
    else:
        facts.update(_run_facts(checkpoint))
    net, spec = load_model(checkpoint, model, facts["dataset"])
    meas = {"params": count_params(net), "macs": count_macs(net), "size_mb": size_mb(net),
            **meas}  # every card states them, whatever the model came from
    return export_model(net, spec, facts.pop("dataset"), fmt, out, int8=int8,
                        data_dir=data_dir, verify_images=verify_images,
                        calibration=calibration, threads=threads,
                        provenance={**facts, "checkpoint": portable(checkpoint),
                                    "measurements": meas},
                        command=command, progress=say)


def _confirmed_checkpoint(study: str, trial: int | None, storage: str | None, say,
                          rebuild: Rebuild | None, data_dir: Path | None
                          ) -> tuple[Path, dict, dict]:
    """The checkpoint of a trial's headline confirmation (`dse.confirmed.headlines`: whole
    training set first, then the longest run; its lowest seed); without `trial`, of the
    trial whose headline mean test accuracy is best."""
    store = Store(storage, create=False)
    heads = {t: h for t, h in confirmed_runs.headlines(store, study).items()
             if trial is None or t == trial}
    if not heads:
        raise ConfigError(f"study {study!r} has no completed confirmation"
                          f"{'' if trial is None else f' of trial {trial}'}; run `dse confirm "
                          f"--study {study}` first.")
    if trial is None:
        trial = max(heads, key=lambda t: heads[t]["test_accuracy"])
        say(f"exporting trial {trial}, the best confirmed on the test set")
    h = heads[trial]
    runs = [r for r in confirmed_runs.groups(store, study)[(trial, h["epochs"],
                                                            h["train_images"])]
            if r.checkpoint]
    if not runs:
        raise ConfigError(f"the confirmation runs of trial {trial} record no checkpoint; run "
                          f"`dse confirm --study {study} --trials {trial}` again.")
    frame = load_study_frame(study, store=store)
    dataset = frame.attrs.get("dataset", "cifar10")
    best, checkpoint, again = _checkpoint_here(store, study, runs, dataset, rebuild,
                                               data_dir, say)
    row = frame[frame["trial"] == trial].iloc[0]
    images = "the whole training set" if best.train_images == 0 else \
        f"{best.train_images:,} training images"
    trained = f"test accuracy {best.test_accuracy:.2%} in PyTorch" if again is None else (
        f"trained again on this machine for the export (the stored run's checkpoint is "
        f"elsewhere): test accuracy {again:.2%} in PyTorch, the stored run's "
        f"{best.test_accuracy:.2%}")
    facts = {"dataset": dataset, "study": study,
             "trial": int(trial), "confirmed_test_accuracy": best.test_accuracy,
             "confirmed_seed": best.seed,
             "training": f"{best.epochs} epochs on {images} (dse confirm, seed {best.seed}), "
                         f"{trained}",
             "fidelity": frame.attrs.get("fidelity"),
             "study_accuracy": plain(row.get("accuracy")), "epochs": plain(row.get("epochs"))}
    return checkpoint, facts, dict(best.measurements or {})


def _checkpoint_here(store: Store, study: str, runs: list, dataset: str,
                     rebuild: Rebuild | None, data_dir: Path | None, say
                     ) -> tuple[object, Path, float | None]:
    """(run, checkpoint, None) for the first of `runs` (lowest seed first) whose recorded
    checkpoint is on this machine; else the lowest seed's checkpoint trained again here
    (`dse.confirm.rebuild`, with `rebuild`; or found from an earlier rebuild) and its own
    test accuracy."""
    for run in runs:  # a rebuild may sit where the run recorded its own: it says so
        found = store.locate(run.checkpoint)
        if found is not None:
            marker = found.parent / REBUILT
            return run, found, json.loads(marker.read_text())["test_accuracy"] \
                if marker.is_file() else None
    run = runs[0]
    folder = study_folder((rebuild or Rebuild()).artifacts, study) / "confirm"
    cand = Candidate.from_dict(run.candidate)
    here = folder / run_folder(run.number, cand, run.epochs, run.seed, run.train_images)
    if rebuild is not None or (here / REBUILT).is_file():
        ckpt = rebuild_run(run, dataset, folder, (rebuild or Rebuild()).device, data_dir, say)
        return run, ckpt, json.loads((here / REBUILT).read_text())["test_accuracy"]
    raise ConfigError(f"the checkpoints of trial {run.number}'s confirmation runs (seed "
                      f"{run.seed}: {str(run.checkpoint)[:80]}) are not on this machine, also "
                      f"not under the current folder or the store's; export where they ran, "
                      f"copy its confirm folder here, or give --rebuild to train seed "
                      f"{run.seed} again here (the stored figures stay as they are).")


def _trial_checkpoint(study: str, trial: int | None, storage: str | None, say
                      ) -> tuple[Path, dict, dict]:
    """(checkpoint, dataset-and-study facts, measurements) of a completed trial; without
    `trial`, the front's best on the study's first objective."""
    store = Store(storage, create=False)
    frame = load_study_frame(study, store=store)
    if trial is None:
        first = frame.attrs["objectives"][0]
        front = frame[pareto_mask(frame, frame.attrs["objectives"])]
        if front.empty:
            raise ConfigError(f"study {study!r} has no completed trial to export yet.")
        best = front[first].idxmax() if metrics.get_metric(first).direction == "maximize" \
            else front[first].idxmin()
        trial = int(front.loc[best, "trial"])
        say(f"exporting trial {trial}, the front's best on {first}")
    hit = frame[frame["trial"] == trial]
    if hit.empty:
        raise ConfigError(f"study {study!r} has no trial {trial}.")
    row = hit.iloc[0]
    if row["status"] != Status.COMPLETE or not row["checkpoint"]:
        raise ConfigError(f"trial {trial} of {study!r} is {row['status']} and has no "
                          f"checkpoint; pick a completed trial (`dse pareto --study {study}`).")
    facts = {"dataset": frame.attrs.get("dataset", "cifar10"), "study": study,
             "trial": int(trial), "fidelity": frame.attrs.get("fidelity"),
             "study_accuracy": plain(row.get("accuracy")), "epochs": plain(row.get("epochs"))}
    meas = {k: plain(row.get(k)) for k in ("params", "macs", "size_mb")
            if row.get(k) is not None}
    checkpoint = store.locate(row["checkpoint"])  # moved? found again
    return checkpoint or Path(row["checkpoint"]), facts, meas


def _run_facts(checkpoint: Path) -> dict:
    """What `dse train` recorded beside a checkpoint (metrics.json), for the model card."""
    path = checkpoint.parent / "metrics.json"
    try:
        r = RunResult.from_dict(json.loads(path.read_text()))
        return {"training": f"{r.train_config['epochs']} epochs on {r.train_images:,} "
                            f"{r.dataset} training images (dse train), test accuracy "
                            f"{r.measurements['test_accuracy']:.2%} in PyTorch",
                "dataset": r.dataset}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def plain(v):
    """numpy scalars as Python numbers (JSON), NaN as None."""
    if v is None:
        return None
    v = v.item() if hasattr(v, "item") else v
    return None if isinstance(v, float) and math.isnan(v) else v


def latency(file: Path | None = None, *, model: str | None = None, study: str | None = None,
            trial: int | None = None, runtime: str = "torch", int8: bool = False,
            threads: int = 1, batch: int = 1, min_runs: int = 200, min_seconds: float = 2.0,
            storage: str | None = None):
    """CPU latency of an exported file, a registered model (random weights) or a study's
    trial: warm-up, then at least `min_runs` queries and `min_seconds`. Returns a
    `dse.deploy.latency` result (median, p90, p99; `.line()` prints it)."""
    # lazy: the timing code loads onnxruntime, which only this verb needs
    from dse.deploy import latency as lat

    if runtime not in ("torch", "onnxruntime"):
        raise ConfigError(f"--runtime is torch or onnxruntime, not {runtime[:40]!r}.")
    if sum(x is not None for x in (file, model, study)) != 1:
        raise ConfigError("give one of FILE.onnx, --model NAME, or --study S --trial N.")
    if file is not None:
        return lat.time_onnx(file, threads, batch, min_runs, min_seconds)
    if study is not None:
        if trial is None:
            raise ConfigError("--study needs --trial N.")
        ckpt, facts, _ = _trial_checkpoint(study, trial, storage, print)
        net, _ = load_model(ckpt, None, facts["dataset"])
    else:
        net = create(model)
    return lat.time_model(net, runtime, int8, threads, batch, min_runs, min_seconds)
