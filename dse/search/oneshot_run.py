"""One candidate measured at a oneshot fidelity outside a study (a calibration's run): its
supernet's weights, BatchNorm recalibrated, validated, then the fidelity's epochs of
fine-tuning if any, as a `RunResult` whose cost counts the supernet's training shared out
over `AMORTISED_OVER` candidates."""

from __future__ import annotations

from pathlib import Path

from dse import hardware
from dse.models import input_size
from dse.records import Candidate, RunResult
from dse.search.fidelity import Fidelity
from dse.search.space import SearchSpace
from dse.search.supernets import OneshotEvaluator, ensure_supernets
from dse.supernet import cpu_seconds, load_supernet
from dse.train import resolve_device, seed_everything
from dse.train.job import (
    DataPlan,
    TrainingJob,
    build_model,
    measure_run,
    prepare_data,
    training_config,
)

#: Candidates a supernet's training is shared out over in a run's cost (a 500-trial study).
AMORTISED_OVER = 500


def supernet_cost(paths: dict[str, Path]) -> dict[str, float]:
    """Network-images and CPU-seconds (seconds x threads; one thread where a file does not
    say) of training all of a space's supernets."""
    images = seconds = 0.0
    for path in paths.values():
        history = load_supernet(path)[1].get("history", [])
        images += sum(r.get("network_images", 0) for r in history)
        seconds += cpu_seconds(history)
    return {"network_images": images, "seconds": seconds}


def oneshot_result(space: SearchSpace, name: str, fid: Fidelity, cand: Candidate,
                   folder: Path, seed: int, device: str = "auto", data_dir=None,
                   say=print) -> RunResult:
    """`cand` at oneshot fidelity `name` of `space`, its supernets kept (and trained when
    missing) under `folder`/supernets. The history's epoch-0 row is the supernet's slice;
    the fidelity's fine-tuning epochs, if any, follow it on the fidelity's training images
    (the run's `train_images`)."""
    dev = resolve_device(device)
    paths = ensure_supernets(space, name, folder, seed, data_dir, device=dev, say=say)
    seed_everything(seed)
    model = build_model(dict(cand.model), space.dataset)
    plan = DataPlan(space.dataset, fid.val_size, fid.train_images, fid.val_images, seed)
    train, val, _ = prepare_data(plan, input_size(model), data_dir, test=False)
    model, row = OneshotEvaluator(space, fid, paths)(model.to(dev), train, val, seed)
    cost = supernet_cost(paths)
    row["supernet_s"] = cost["seconds"] / AMORTISED_OVER
    history = [row]
    if fid.epochs:
        cfg = training_config(cand.at(seed=seed), fid.epochs)
        TrainingJob(dict(cand.model), cfg, space.dataset, train, val, dev, model,
                    [history.append]).run()
    m = measure_run(model, history, "val", 1, space.dataset)
    m["supernet_images_amortised"] = cost["network_images"] / AMORTISED_OVER
    oneshot_images = int(fid.oneshot.calib_images + cost["network_images"] / AMORTISED_OVER)
    return RunResult(cand, history, m, "val", False, space.dataset, vars(plan),
                     len(train) if fid.epochs else oneshot_images, len(val),
                     hardware.describe(dev), {"oneshot": fid.oneshot.model_dump(),
                                              **({"epochs": fid.epochs} if fid.epochs else {})})


def oneshot_images(result: RunResult) -> int:
    """Training images a oneshot run's measurement cost: BatchNorm calibration, its share
    of the supernet's training and the fine-tuning epochs (rows after the epoch-0 row)."""
    own = int(result.train_config["oneshot"]["calib_images"]
              + result.measurements.get("supernet_images_amortised", 0.0))
    return own + result.train_images * (len(result.history) - 1)
