"""The journey's verbs as a Python API: what the `dse` commands do, without the printing.

    from dse import api
    study, _ = api.run("hps_cifar10", study="demo", fidelity="quick", trials=20)
    confirmed = api.confirm("demo", top=2, epochs=30, seeds=[0, 1, 2],
                            baselines=["hps-06-0.5x"])
    stats = api.compare("demo", trial=12, baseline="hps-06-0.5x")
    card = api.export(Path("best.onnx"), study="demo", confirmed=True, int8=True)

Every function raises `dse.errors.ConfigError` (a `DseError`) for bad input, with one
paragraph saying what is wrong and how to fix it."""

from __future__ import annotations

from dse.api.auto import auto
from dse.api.auto_status import auto_status
from dse.api.compare import compare, compare_each
from dse.api.confirm import Confirmed, confirm, confirmed
from dse.api.data import data_check
from dse.api.export import Rebuild, export, latency
from dse.api.fidelity import fidelity_check
from dse.api.latency_model import latency_profile, latency_validate
from dse.api.results import Front, frontier, pareto, report, show, studies
from dse.api.space import count_architectures, example_candidate, load_space, supernets
from dse.api.study import run
from dse.api.supernet import supernet_show, supernet_train
from dse.api.train import evaluate, train

__all__ = ["Confirmed", "Rebuild", "auto", "auto_status", "Front", "compare", "compare_each",
           "confirm", "confirmed",
           "count_architectures", "data_check",
           "evaluate", "example_candidate", "export", "load_space",
           "fidelity_check", "frontier", "latency", "latency_profile",
           "latency_validate", "pareto", "report", "run", "show", "studies",
           "supernet_show", "supernet_train", "supernets", "train"]
