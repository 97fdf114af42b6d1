"""The committed exports are what the READMEs say: every ONNX file
under results/ with a model card gives, in the embedded runtime (onnxruntime, one frame
at a time, as `dse deploy run`), on the 10,000 CIFAR-10 test images, the test accuracy its
card states to 0.01 points, and that figure is written in a README beside it or the main
README. (results/main-job/ keeps only the card of the main job's export: the main job
writes its ONNX files again on every machine.) And every committed `compare*.json` (the
statistics the READMEs quote) is reproduced by `dse compare` from the store beside it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dse.deploy.runtime import Classifier, frames

REPO = Path(__file__).resolve().parents[1]
CARDS = sorted(card for card in REPO.glob("results/**/*.onnx.card.json")
               if (card.parent / json.loads(card.read_text())["file"]).is_file())
# Written before `dse compare --seeds` existed, when trial 119 had seeds 0 and 2 and the
# baseline 0, 1 and 2: no seed selection gives it back from today's store.
HISTORICAL = {"results/proof-0.37mb/compare-2seeds.json"}
COMPARISONS = sorted(p for p in REPO.glob("results/**/compare*.json")
                     if str(p.relative_to(REPO)) not in HISTORICAL)


def runtime_accuracy(model: Path, test_batch: Path) -> tuple[float, int]:
    """Top-1 accuracy of `model` on the labelled frames of `test_batch`, and their count."""
    clf = Classifier(model)
    clf.birth()
    correct = n = 0
    try:
        for frame in frames(test_batch, clf.classes):
            correct += int(clf.core(frame.image)[0] == frame.label)
            n += 1
    finally:
        clf.death()
    return correct / n, n


def readme_text(result: Path) -> str:
    """The READMEs a reader of this result would look in: beside it, one folder up, the
    main README and the results page of the docs."""
    paths = [result.parent / "README.md", result.parent.parent / "README.md",
             REPO / "README.md", REPO / "docs" / "results.md"]
    return "\n".join(p.read_text() for p in paths if p.is_file())


def test_there_are_committed_exports():
    assert len(CARDS) >= 3, CARDS


@pytest.mark.parametrize("card", CARDS, ids=lambda p: str(p.relative_to(REPO).parent))
def test_committed_export_gives_the_stated_accuracy(card, data_dir):
    c = json.loads(card.read_text())
    files = [(c["file"], c["float32"]["test_accuracy"])]
    if "int8" in c:
        files.append((c["int8"]["file"], c["int8"]["test_accuracy"]))
    test_batch = data_dir / "cifar-10-batches-bin" / "test_batch.bin"
    readmes = readme_text(card)
    for name, stated in files:
        measured, n = runtime_accuracy(card.parent / name, test_batch)
        assert n == 10_000
        assert round(measured, 4) == pytest.approx(stated, abs=1e-9), (name, measured, stated)
        figure = f"{stated * 100:.2f}"
        assert f"{figure} %" in readmes or f"{figure}%" in readmes, (name, figure)


def test_there_are_committed_comparisons():
    assert len(COMPARISONS) >= 2, COMPARISONS


@pytest.mark.parametrize("path", COMPARISONS, ids=lambda p: str(p.relative_to(REPO).parent))
def test_committed_comparison_is_reproduced_from_its_store(path, tmp_path):
    stated = json.loads(path.read_text())
    each = stated if isinstance(stated, list) else [stated]  # several --trial: a list
    first = each[0]
    store = tmp_path / "dse.db"
    shutil.copyfile(_store_of(path, first), store)  # the committed file stays untouched
    out = tmp_path / "compare.json"
    proc = subprocess.run(
        [sys.executable, "-m", "dse.cli", "compare", "--study", first["study"],
         *[a for s in each for a in ("--trial", str(s["trial"]))],
         "--baseline", first["baseline"],
         "--epochs", str(first["epochs"]), "--no-latency", "--storage",
         f"sqlite:///{store}", "--out", str(out),
         *(["--seeds", ",".join(map(str, first["seeds"]))] if "seeds" in first else []),
         *(["--train-images", str(first["train_images"])] if "train_images" in first else []),
         *(["--comparisons", str(first["comparisons"])] if "comparisons" in first else [])],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    again = json.loads(out.read_text())
    again = again if isinstance(again, list) else [again]
    readmes = readme_text(path)  # and the READMEs quote these figures, not older ones
    for s, a in zip(each, again, strict=True):
        _same(s, a)
        _quoted(a, s, readmes, path)
    for auto in path.parent.glob("studies/*/auto/auto.json"):
        _auto_agrees(json.loads(auto.read_text()), again)


def _auto_agrees(auto: dict, again: list[dict]) -> None:
    """dse auto's own verdict (auto.json) is the one dse compare gives, for a comparison of
    the same finalists; a comparison of other trials (one finalist's latency) is skipped."""
    mine = {(c["study"], c["trial"]): c for c in auto["comparisons"]}
    if sorted(mine) != sorted((a["study"], a["trial"]) for a in again):
        return
    for a in again:
        s = mine[(a["study"], a["trial"])]
        holm = a.get("p_one_sided_holm", a["p_one_sided"])
        assert s["p_one_sided"] == pytest.approx(a["p_one_sided"], rel=1e-9)
        assert s["p_one_sided_holm"] == pytest.approx(holm, rel=1e-9)
        assert s["won"] == (holm < 0.05 and a["ahead_by_twice_pooled_sd"])


def _store_of(path: Path, stated: dict) -> Path:
    """The store a comparison was made from: the SQLite file its command names (relative
    to its folder, or to the repository root), else the folder's dse.db."""
    m = re.search(r"--storage sqlite:///(\S+)", stated.get("command", ""))
    if not m or Path(m.group(1)).is_absolute():
        return path.parent / "dse.db"
    here = path.parent / m.group(1)
    return here if here.is_file() else REPO / m.group(1)


def _same(stated: dict, again: dict) -> None:
    assert again["accuracies"] == stated["accuracies"]
    assert again.get("seeds") == stated.get("seeds")
    for key in ("mean", "sd", "difference", "pooled_sd", "welch_t", "welch_df",
                "p_one_sided", "p_two_sided"):
        assert again[key] == pytest.approx(stated[key], rel=1e-9, abs=1e-12), key
    assert again["ahead_by_twice_pooled_sd"] == stated["ahead_by_twice_pooled_sd"]
    for key in ("difference_in_pooled_sd", "p_one_sided_adjusted",  # newer dse compare
                "p_one_sided_holm"):
        if key in stated:
            assert again[key] == pytest.approx(stated[key], rel=1e-9), key


def _quoted(again: dict, stated: dict, readmes: str, path: Path) -> None:
    for figure in (f"{again['difference'] * 100:+.2f} points",
                   f"pooled sd {again['pooled_sd'] * 100:.2f}"):
        assert figure in readmes, figure
    p = again["p_one_sided"]  # to 2 or 3 significant figures, as `dse compare` prints it
    assert any(f"p = {p:.{k}g}" in readmes for k in (2, 3)), (f"p = {p:.3g}", path)
    for key in ("p_one_sided_adjusted", "p_one_sided_holm"):
        if key in again:
            p = again[key]
            assert any(f"p = {p:.{k}g}" in readmes for k in (2, 3)), (f"{key} {p:.3g}", path)
    if again.get("difference_in_pooled_sd") is not None and "difference_in_pooled_sd" in stated:
        figure = f"{again['difference_in_pooled_sd']:.2f} pooled sds"
        assert figure in readmes, (figure, path)
