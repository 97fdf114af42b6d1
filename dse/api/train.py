"""`train` and `evaluate`: one model trained from scratch, or a checkpoint tested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dse.errors import ConfigError
from dse.models import create, model_spec
from dse.models.registry import NUM_CLASSES_OF
from dse.records import Candidate, RunResult
from dse.train import TrainConfig, load_checkpoint, load_model
from dse.train.compiling import check_mode
from dse.train.job import DataPlan, evaluate_on_test, run_training


def train(model: str | None = None, *, model_from: Path | None = None,
          model_args: dict | None = None, recipe: TrainConfig | None = None,
          dataset: str = "cifar10", subset: int | None = None, val_size: int = 5000,
          device: str = "auto", compile: str = "auto", out: Path | None = None,
          resumable: bool = False, resume: Path | None = None, data_dir: Path | None = None,
          download: bool = False, progress: bool = False,
          say: Callable[[str], None] = print) -> tuple[RunResult, Path]:
    """Train `model` (a registered name) or the architecture saved in `model_from` (its
    weights unused), with `model_args` overriding dimensions, from scratch with `recipe`
    (default: dse's default recipe); validate on `val_size` held-out training images (0:
    the test set). Writes OUT/checkpoint.pt and OUT/metrics.json (OUT default:
    runs/MODEL); `resumable` also writes resume.pt after every epoch, `resume` continues
    from one. Returns the run's `RunResult` and OUT."""
    check_mode(compile)
    if (model is None) == (model_from is None):
        raise ConfigError("name the architecture once: --model NAME (see `dse models`) or "
                          "--model-from CHECKPOINT (a trial's or a run's .pt file).")
    dims: dict = {}
    if model_from is not None:  # the saved spec, validated by its family before building
        dims = dict(load_model(model_from, dataset=dataset)[1])
        model = dims.pop("name")
    cfg = (recipe or TrainConfig()).check()
    spec = model_spec(model.lower(), **{**dims, **(model_args or {})})
    out = out or Path("runs") / model.lower()
    state = load_checkpoint(resume) if resume else None
    recipe_ = {k: v for k, v in cfg.to_dict().items() if k not in ("epochs", "seed")}
    cand = Candidate(spec, recipe_, f"{cfg.epochs} epochs", cfg.seed)
    result = run_training(cand, cfg.epochs, DataPlan(dataset, val_size, subset, seed=cfg.seed),
                          out, device, data_dir, download, progress=progress,
                          resumable=resumable or bool(resume), resume=state, compile=compile,
                          say=say)
    return result, out


def evaluate(checkpoint: Path | None = None, *, model: str | None = None,
             pretrained: bool = False, dataset: str = "cifar10", device: str = "auto",
             data_dir: Path | None = None, download: bool = False, tta_flip: bool = False
             ) -> dict:
    """Test accuracy and loss of a checkpoint, or of registered `model` with the weights
    dse ships (`pretrained`), on the whole test set (`tta_flip`: also the accuracy averaged
    with the mirrored image, an extra); with the model's spec."""
    if pretrained == (checkpoint is not None) or (pretrained and model is None):
        raise ConfigError("give --checkpoint PATH, or --model NAME --pretrained (`dse models` "
                          "marks the models dse ships weights for).")
    if pretrained:
        net, spec = create(model, NUM_CLASSES_OF[dataset], pretrained=True), model_spec(model)
    else:
        net, spec = load_model(checkpoint, model, dataset)
    ev = evaluate_on_test(net, dataset, data_dir, download, device,
                          TrainConfig(tta_flip=tta_flip))
    return {**ev, "spec": spec, "dataset": dataset}
