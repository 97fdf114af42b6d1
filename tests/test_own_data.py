"""Your own data through the whole journey: an ImageFolder of 64x64 RGB PNGs (5 classes,
class folders only) and a one-channel 28x28 npz (10 classes), both made from real CIFAR-10
images; `dse data check`, a smoke study, `dse confirm`, `dse export --int8` and
`dse deploy run`; bad data refused with one paragraph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dse.data import load_cifar

REPO = Path(__file__).resolve().parents[1]


def dse(*args, cwd, cache):
    env = {**os.environ, "DSE_CACHE_DIR": str(cache), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def _gray28(x: np.ndarray) -> np.ndarray:
    g = (x[:, 0] * 0.299 + x[:, 1] * 0.587 + x[:, 2] * 0.114).round().astype(np.uint8)
    return np.stack([np.asarray(Image.fromarray(i).resize((28, 28), Image.BILINEAR))
                     for i in g])


@pytest.fixture(scope="module")
def own(tmp_path_factory, data_dir) -> dict[str, Path]:
    """The two data sets, written once: PNG class folders and an npz file."""
    root = tmp_path_factory.mktemp("own")
    train, test = load_cifar("cifar10", data_dir)
    x, y = train.images[:4000].numpy(), train.labels[:4000].numpy()
    folder = root / "photos"
    for i in np.flatnonzero(y < 5)[:400]:  # about 80 per class
        d = folder / f"class-{y[i]}"
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(x[i].transpose(1, 2, 0)).resize((64, 64), Image.BILINEAR).save(
            d / f"{i}.png")
    xt, yt = test.images[:600].numpy(), test.labels[:600].numpy()
    np.savez(root / "sensor.npz", x_train=_gray28(x[:1500]), y_train=y[:1500],
             x_test=_gray28(xt), y_test=yt)
    return {"root": root, "folder": folder, "npz": root / "sensor.npz", "cache": root / "cache"}


SPACE = textwrap.dedent("""
    extends: own_data
    name: mine
    study: mine
    data: {spec}
    model:
      family: hps
      blocks: [1, 1, {{int: [1, 2]}}, 1]
      width: {{choices: [0.25, 0.5]}}
      stem_stride: 2
    fidelities:
      smoke: {{epochs: 1, train_images: 200, val_size: 60, latency_repeats: 2}}
    default_fidelity: smoke
""")


@pytest.mark.parametrize("kind,channels,size,classes", [("folder", 3, 64, 5),
                                                         ("npz", 1, 28, 10)])
def test_a_study_on_your_data_runs_to_the_device(own, tmp_path, kind, channels, size, classes):
    spec = str(own[kind])
    run = lambda *a: dse(*a, cwd=tmp_path, cache=own["cache"])  # noqa: E731
    r = run("data", "check", spec, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["channels"], report["size"], len(report["classes"])) == (channels, size,
                                                                             classes)
    assert report["duplicates_train_test"] == 0
    assert ("hold-out of 20%" in report["split"]) == (kind == "folder")

    space = tmp_path / "mine.yaml"
    space.write_text(SPACE.format(spec=spec))
    r = run("run", "--space", str(space), "--trials", "2", "--workers", "1", "--device", "cpu",
            "--no-baselines")
    assert r.returncode == 0, r.stderr
    # one epoch on 200 images stays near chance ("not learned"): confirm trial 0 by name
    r = run("confirm", "--study", "mine", "--trials", "0", "--epochs", "1", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    r = run("export", "--study", "mine", "--confirmed", "--int8", "--out", "mine.onnx")
    assert r.returncode == 0, r.stderr

    import onnxruntime as ort

    from dse.data import data_info

    info = data_info(spec)
    for f in ("mine.onnx", "mine.int8.onnx"):
        sess = ort.InferenceSession(str(tmp_path / f), providers=["CPUExecutionProvider"])
        assert sess.get_inputs()[0].shape[1:] == [channels, size, size]
        meta = sess.get_modelmeta().custom_metadata_map
        assert json.loads(meta["dse.classes"]) == list(info.classes)
        assert json.loads(meta["dse.mean"]) == pytest.approx(list(info.mean))
        assert json.loads(meta["dse.std"]) == pytest.approx(list(info.std))
    card = json.loads((tmp_path / "mine.onnx.card.json").read_text())
    assert card["dataset"] == spec and card["data"] == info.describe()
    assert card["input"]["shape"] == ["batch", channels, size, size]
    assert len(info.mean) == channels and info.num_classes == classes

    frames = own["folder"]  # RGB PNGs of any size: resized, made gray for the npz model
    r = run("deploy", "run", "--model", str(tmp_path / "mine.int8.onnx"), "--source",
            str(frames), "--limit", "20")
    assert r.returncode == 0, r.stderr
    assert "20 frames" in r.stdout, r.stdout


def test_dse_auto_runs_on_your_data_with_its_own_held_out_images(own, tmp_path):
    """The ladder validates on the search fidelity's held-out images (300 of the npz's
    1,500), not CIFAR's 5,000, and the journey ends in a compared, exported model."""
    space = SPACE.format(spec=own["npz"]).replace("default_fidelity: smoke", (
        "  learns: {epochs: 15, train_images: 1200, val_size: 300, latency_repeats: 2}\n"
        "default_fidelity: learns"))  # enough to learn above chance: a trial to pick
    (tmp_path / "mine.yaml").write_text(space)
    r = dse("auto", "--space", "mine.yaml", "--budget", "10m", "--search-trials", "2",
            "--per-bin", "1", "--ladder-epochs", "10", "--ladder-images", "1200",
            "--finalists", "1", "--final-epochs", "2", "--final-images", "1000", "--seeds", "2",
            "--device", "cpu", cwd=tmp_path, cache=own["cache"])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "1,200 images of the training split less 300 held-out ones" in r.stdout
    out = json.loads((tmp_path / "studies" / "mine" / "auto" / "auto.json").read_text())
    assert out["comparisons"][0]["baseline"] == "hps-06-0.5x"
    card = json.loads((tmp_path / "studies" / "mine" / "auto" /
                       f"trial-{out['exported']}.onnx.card.json").read_text())
    assert card["input"]["shape"] == ["batch", 1, 28, 28]


def test_decoded_folders_are_cached_and_a_changed_folder_is_read_again(own, tmp_path):
    from dse.data.sources import FolderOptions, ImageFolder

    folder = tmp_path / "small"
    for c in ("a", "b"):
        (folder / c).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(folder / c / f"{i}.png")
    cache = tmp_path / "cache"
    opts = FolderOptions(cache=str(cache))
    first = ImageFolder().load(folder, opts)
    assert len(list((cache / "imagefolder").iterdir())) == 1
    again = ImageFolder().load(folder, opts)
    assert np.array_equal(first.train.images.numpy(), again.train.images.numpy())
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "a" / "new.png")  # grayscale
    changed = ImageFolder().load(folder, opts)
    assert len(list((cache / "imagefolder").iterdir())) == 2
    assert len(changed.train) + len(changed.test) == 13
    assert changed.train.images.shape[1] == 3  # mixed gray and RGB: RGB
    assert not any(p.name.startswith(".") for p in folder.rglob("*"))  # nothing written there


def _bad_folder(tmp_path: Path, case: str) -> str:
    folder = tmp_path / case
    img = np.zeros((8, 8, 3), np.uint8)
    classes = {"one_class": ["a"], "empty_class": ["a", "b"], "missing_test": ["a", "b"],
               "unreadable": ["a", "b"]}[case]
    for c in classes:
        (folder / c).mkdir(parents=True)
        if case == "empty_class" and c == "b":
            continue
        for i in range(5):
            if case == "unreadable":
                (folder / c / f"{i}.png").write_bytes(b"not a png")
            else:
                Image.fromarray(img).save(folder / c / f"{i}.png")
    if case == "missing_test":
        for part, names in (("train", ["a", "b"]), ("test", ["a"])):
            for c in names:
                (folder / part / c).mkdir(parents=True)
                Image.fromarray(img).save(folder / part / c / "0.png")
            for c in {"a", "b"} - set(names):
                (folder / part / c).mkdir(parents=True)
    return str(folder)


def _bad_npz(tmp_path: Path, case: str) -> str:
    x = np.zeros((20, 8, 8, 3), np.uint8)
    y = np.arange(20) % 2
    arrays = {"labels": dict(x_train=x, y_train=np.where(np.arange(20) == 3, -1, y)),
              "dtype": dict(x_train=x.astype(np.float32), y_train=y),
              "shape": dict(x_train=np.zeros((20, 8, 6, 3), np.uint8), y_train=y),
              "missing": dict(images=x)}[case]
    path = tmp_path / f"{case}.npz"
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize("case,needle", [
    ("one_class", "at least two"), ("empty_class", "no image of class"),
    ("missing_test", "no image of class"), ("unreadable", "no readable image")])
def test_bad_folders_are_refused_in_one_paragraph(tmp_path, case, needle):
    r = dse("data", "check", _bad_folder(tmp_path, case), cwd=tmp_path, cache=tmp_path / "c")
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("case,needle", [
    ("labels", "outside 0"), ("dtype", "not uint8"), ("shape", "H == W"),
    ("missing", "needs x_train and y_train")])
def test_bad_npz_files_are_refused_in_one_paragraph(tmp_path, case, needle):
    r = dse("data", "check", _bad_npz(tmp_path, case), cwd=tmp_path, cache=tmp_path / "c")
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_space_names_its_data_and_a_bad_spec_is_refused(tmp_path):
    r = dse("space", "validate", "own_data", cwd=tmp_path, cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: own_data\ndata: no/such/folder\n")
    r = dse("space", "validate", str(bad), cwd=tmp_path, cache=tmp_path / "c")
    assert r.returncode == 2 and "neither a registered name" in r.stderr, r.stderr
    r = dse("run", "--space", "own_data", "--data", "no/such.npz?size=3", "--trials", "1",
            cwd=tmp_path, cache=tmp_path / "c")
    assert r.returncode == 2 and "--data" in r.stderr and "size" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "studies").exists()


def test_a_stride_plan_too_deep_for_small_images_is_named(tmp_path):
    """8x8 images through a stride-2 stem and three stride-2 stages: trained, with one
    warning line naming the smallest input that keeps every stage above 1x1."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "tiny.npz", x_train=rng.integers(0, 255, (80, 8, 8, 3), np.uint8),
             y_train=np.arange(80) % 2)
    r = dse("train", "--model", "hps-06-0.5x", "--model-arg", "stem_stride=2", "--data",
            str(tmp_path / "tiny.npz"), "--epochs", "1", "--val-size", "20", "--device", "cpu",
            "--out", str(tmp_path / "run"), cwd=tmp_path, cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    assert "warning: a 8x8 input reaches 1x1 before the last stage" in r.stderr, r.stderr
    assert "at least 11 px" in r.stderr and "Traceback" not in r.stderr


def test_the_latency_profile_warns_outside_the_inputs_it_was_fitted_on():
    import warnings

    from dse.deploy.latency_model import active_profile
    from dse.errors import DseWarning
    from dse.models import create

    profile = active_profile()
    assert profile.fitted_inputs == [(3, 24), (3, 32)]  # the shipped profile: CIFAR inputs
    with warnings.catch_warnings():
        warnings.simplefilter("error", DseWarning)
        profile.predict(create("hps-06-0.5x"))  # inside: no warning
    with pytest.warns(DseWarning, match="1x28x28 input lies outside"):
        profile.predict(create("hps-06-0.5x", in_channels=1, image_size=28))
    with pytest.warns(DseWarning, match="3x64x64 input lies outside"):
        profile.predict(create("hps-06-0.5x", image_size=64))
