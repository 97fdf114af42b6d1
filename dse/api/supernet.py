"""`supernet_train`, `supernet_show`: a space's weight-sharing supernets, trained ahead of a
oneshot study (`dse run` trains missing ones itself) and described from their files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from dse.errors import ConfigError
from dse.paths import check_study_name, study_folder
from dse.search.space import load_space
from dse.search.supernets import ensure_supernets
from dse.supernet import cpu_seconds, load_supernet
from dse.train import resolve_device

__all__ = ["supernet_show", "supernet_train"]


def supernet_train(space: str | Path, *, fidelity: str | None = None,
                   study: str | None = None, artifacts: Path = Path("studies"), seed: int = 0,
                   data_dir: Path | None = None, download: bool = False,
                   device: str = "auto", threads: int | None = None,
                   say: Callable[[str], None] = print) -> dict[str, Path]:
    """Train (or finish training) every supernet a oneshot fidelity of `space` needs, where
    `dse run --study STUDY --artifacts ARTIFACTS` looks for them; {group: file}."""
    sp = load_space(str(space))
    fidelity = fidelity or sp.default_fidelity
    if fidelity not in sp.fidelities or sp.fidelities[fidelity].oneshot is None:
        oneshot = [n for n, f in sp.fidelities.items() if f.oneshot is not None]
        raise ConfigError(f"space {sp.name!r} has no oneshot fidelity {fidelity!r}; its "
                          f"oneshot fidelities: {', '.join(oneshot) or 'none'}.")
    if threads:
        torch.set_num_threads(threads)
    folder = study_folder(artifacts, check_study_name(study or sp.study))
    return ensure_supernets(sp, fidelity, folder, seed, data_dir, download,
                            resolve_device(device), say=say)


def supernet_show(path: Path) -> dict:
    """A supernet file's largest network, recipe, data set, epochs and cost."""
    net, meta = load_supernet(path)
    hist = meta.get("history", [])
    return {"path": str(path), "largest": net.largest.summary(), "key": net.key,
            "recipe": meta.get("recipe"), "dataset": meta.get("dataset"), "epochs": len(hist),
            "train_images": sum(r.get("train_images", 0) for r in hist),
            "network_images": sum(r.get("network_images", 0) for r in hist),
            "wall_hours": sum(r.get("train_s", 0) + r.get("eval_s", 0) for r in hist) / 3600,
            "cpu_hours": cpu_seconds(hist) / 3600 if all("threads" in r for r in hist)
            else None,  # files written before the threads were recorded: wall time only
            "last": hist[-1] if hist else None}
