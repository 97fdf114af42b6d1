"""The committed exports are what the READMEs say (issue 23's acceptance): every ONNX file
under results/ with a model card gives, in the embedded runtime (onnxruntime, one frame
at a time, as `dse deploy run`), on the 10,000 CIFAR-10 test images, the test accuracy its
card states to 0.01 points, and that figure is written in a README beside it or the main
README. (results/main-job/ keeps only the card of the main job's export: the main job
writes its ONNX files again on every machine.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dse.deploy.runtime import Classifier, frames

REPO = Path(__file__).resolve().parents[1]
CARDS = sorted(card for card in REPO.glob("results/**/*.onnx.card.json")
               if (card.parent / json.loads(card.read_text())["file"]).is_file())


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


def readme_text(card: Path) -> str:
    """The READMEs a reader of this export would look in: beside it, one folder up, main."""
    paths = [card.parent / "README.md", card.parent.parent / "README.md", REPO / "README.md"]
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
