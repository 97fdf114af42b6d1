"""Export, int8 and the embedded runtime on a model trained here on real CIFAR-10."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dse.errors import ConfigError

pytestmark = pytest.mark.slow


def dse(*args, cwd, check=True):
    r = subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                       text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200"})
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_dir) -> Path:
    """hps-06-0.5x trained for 4 epochs on 5,000 images (validated on the test set)."""
    root = tmp_path_factory.mktemp("deploy")
    dse("train", "--model", "hps-06-0.5x", "--epochs", "4", "--subset", "5000", "--lr", "0.05",
        "--val-size", "0", "--device", "cpu", "--out", "run", "--data-dir", str(data_dir),
        cwd=root)
    return root


@pytest.fixture(scope="module")
def exported(trained, data_dir) -> dict:
    dse("export", "--checkpoint", "run/checkpoint.pt", "--out", "out/m.onnx", "--int8",
        "--data-dir", str(data_dir), cwd=trained)
    return json.loads((trained / "out" / "m.onnx.card.json").read_text())


def test_onnx_export_is_verified_and_carded(trained, exported):
    v = exported["verification"]
    assert v["images"] >= 1000 and v["top1_agreement"] == 1.0 and v["max_abs_diff"] < 1e-4
    assert (trained / "out" / "m.onnx.card.md").read_text().startswith("# hps-06-0.5x")
    f32 = exported["float32"]
    assert f32["test_accuracy"] > 0.25  # it learned something in 4 epochs
    assert f32["latency"]["threads"] == 1 and f32["latency"]["runs"] >= 200
    for key in ("torch", "onnx", "onnxruntime"):
        assert exported["versions"][key]
    assert "4 epochs" in exported["training"]
    # the card travels: the checkpoint by its path in the project and its hash, no home folder
    ck = trained / "run" / "checkpoint.pt"
    assert exported["checkpoint"] == {"file": "run/checkpoint.pt",
                                      "sha256": hashlib.sha256(ck.read_bytes()).hexdigest()}
    for card in ("m.onnx.card.json", "m.onnx.card.md"):
        assert str(trained) not in (trained / "out" / card).read_text()


def test_int8_loses_at_most_two_points(exported, trained):
    q, f32 = exported["int8"], exported["float32"]
    assert (trained / "out" / "m.int8.onnx").is_file() and q["calibration_images"] == 512
    assert q["file_mb"] <= 0.5 * f32["file_mb"]  # int8 weights, short names, no debug info
    assert "conv-bn-act" in q["order_note"]  # HPS order: the card says what to choose
    assert "order conv-bn-act lets it fold" in (trained / "out" / "m.onnx.card.md").read_text()
    assert f32["test_accuracy"] - q["test_accuracy"] <= 0.02, (f32, q)


def test_card_states_what_it_measured(exported, trained):
    """The int8 sentence follows this model's latencies at export (faster or slower, by how
    much, on which CPU flags), and a `dse train` checkpoint's card still states parameters,
    MACs and float32 size."""
    q, f32 = exported["int8"], exported["float32"]
    ratio = q["latency"]["median_ms"] / f32["latency"]["median_ms"]
    note = q["order_note"]
    assert f"{ratio:.2f}x float32's latency" in note
    assert ("(faster)" if ratio < 1 else "(slower)") in note
    assert f"{q['latency']['median_ms']:.3f} ms" in note and "flags:" in note
    assert isinstance(exported["hardware"]["flags"], list)
    assert "0.6-0.9x" not in note  # no general range that the measurement may contradict
    m = exported["measurements"]
    assert m["params"] == 67_670 and m["macs"] > 3_000_000 and 0.3 < m["size_mb"] < 0.35
    md = (trained / "out" / "m.onnx.card.md").read_text()
    assert "- parameters: 67,670" in md and "MACs per image" in md


def test_int8_weights_keep_to_seven_bits(exported, trained):
    """|w| <= 64: no U8S8 sum saturates on x86 CPUs without VNNI (AVX2), where 8-bit weights
    cost a committed model 13 points; the file computes the same on every CPU."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(trained / "out" / "m.int8.onnx").graph
    weights = [numpy_helper.to_array(t) for t in graph.initializer
               if t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 4]  # conv kernels
    assert len(weights) >= 10
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64
    assert "7-bit" in exported["int8"]["weights"]


def test_quantizing_leaves_the_callers_logging_as_it_was(exported, trained, tmp_path):
    """onnxruntime's quantiser logs to the root logger; dse quiets it only while it runs."""
    import logging

    from dse.deploy.quantize import quantize_int8

    root = logging.getLogger()
    before = root.level
    root.setLevel(logging.INFO)
    try:
        x = np.random.default_rng(0).random((8, 3, 32, 32), dtype=np.float32)
        quantize_int8(trained / "out" / "m.onnx", tmp_path / "q.int8.onnx", x)
        assert root.level == logging.INFO
        assert (tmp_path / "q.int8.onnx").stat().st_size > 0
    finally:
        root.setLevel(before)


def test_onnx_file_is_the_model_size_plus_a_little(exported, trained):
    from dse import measure, models

    state_dict_mb = measure.size_mb(models.create("hps-06-0.5x"))
    assert exported["float32"]["file_mb"] <= 1.05 * state_dict_mb


def test_pt2_export_reloads_and_agrees(trained, data_dir):
    dse("export", "--checkpoint", "run/checkpoint.pt", "--format", "pt2", "--out", "m.pt2",
        "--data-dir", str(data_dir), cwd=trained)
    card = json.loads((trained / "m.pt2.card.json").read_text())
    assert card["verification"]["top1_agreement"] == 1.0
    from dse.deploy.exporters import get_exporter

    run = get_exporter("pt2").load(trained / "m.pt2")
    assert run(np.zeros((3, 3, 32, 32), np.float32)).shape == (3, 10)


def _write_pngs(folder: Path, data_dir: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    rec = np.fromfile(data_dir / "cifar-10-batches-bin" / "test_batch.bin", np.uint8)
    rec = rec.reshape(-1, 3073)[:n]
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]
    for i, r in enumerate(rec):
        sub = folder / names[r[0]]
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(r[1:].reshape(3, 32, 32).transpose(1, 2, 0)).save(sub / f"{i:05d}.png")
    return rec[:, 1:].reshape(-1, 3, 32, 32), rec[:, 0]


def _accuracy(text: str) -> float:
    return float(re.search(r"accuracy ([\d.]+)%", text).group(1)) / 100


def test_deploy_run_on_pngs_matches_dse_evaluate(trained, exported, data_dir):
    pngs = trained / "pngs"
    _write_pngs(pngs, data_dir, 10_000)
    (pngs / "notes.txt").write_text("not an image")
    (pngs / "cat" / "broken.png").write_bytes(b"\x89PNG broken")
    r = dse("deploy", "run", "--model", "out/m.onnx", "--source", "pngs", "--every", "1000",
            cwd=trained)
    assert "10,000 frames" in r.stdout and "frames/s" in r.stdout and "p99" in r.stdout
    assert r.stderr.count("skipped") == 2 and "2 files skipped" in r.stdout
    ev = dse("evaluate", "--checkpoint", "run/checkpoint.pt", "--device", "cpu",
             "--data-dir", str(data_dir), cwd=trained)
    torch_acc = float(re.search(r"test accuracy ([\d.]+)", ev.stdout).group(1))
    assert abs(_accuracy(r.stdout) - torch_acc) <= 2e-4, (r.stdout, ev.stdout)  # 2 images
    q = dse("deploy", "run", "--model", "out/m.int8.onnx", "--source", "pngs", "--every",
            "5000", cwd=trained)
    assert abs(_accuracy(q.stdout) - exported["int8"]["test_accuracy"]) <= 2e-4


def test_deploy_run_reads_a_cifar_batch_file_with_a_limit(trained, data_dir):
    r = dse("deploy", "run", "--model", "out/m.onnx", "--source",
            str(data_dir / "cifar-10-batches-bin" / "test_batch.bin"), "--limit", "300",
            "--every", "100", cwd=trained)
    assert "300 frames" in r.stdout and "on 300 labelled frames" in r.stdout
    assert r.stdout.count("test_batch.bin[") == 3


def test_deploy_mistakes_are_clear(trained, exported, tmp_path):
    import onnx
    from onnx import TensorProto, helper

    r = dse("deploy", "run", "--model", "out/m.onnx", "--source", "nowhere", cwd=trained,
            check=False)
    assert r.returncode == 2 and "nowhere" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "fake.onnx").write_text("not onnx")
    r = dse("deploy", "run", "--model", str(tmp_path / "fake.onnx"), "--source", "pngs",
            cwd=trained, check=False)
    assert r.returncode == 2 and "not an ONNX model" in r.stderr
    for name, shape, needle in (("mnist", [1, 1, 28, 28], "no dse preprocessing metadata"),
                                ("two", [1, 2, 28, 28], "square RGB or grayscale")):
        inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)
        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [inp],
                                  [out])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                                    ir_version=10), tmp_path / f"{name}.onnx")
        r = dse("deploy", "run", "--model", str(tmp_path / f"{name}.onnx"), "--source",
                "pngs", cwd=trained, check=False)
        assert r.returncode == 2 and needle in r.stderr, r.stderr


def test_latency_command_on_both_runtimes(tmp_path):
    for args in (["--runtime", "torch"], ["--runtime", "onnxruntime"],
                 ["--runtime", "onnxruntime", "--int8"]):
        r = dse("latency", "--model", "hps-06-0.5x", *args, "--min-runs", "20",
                "--min-seconds", "0.1", cwd=tmp_path)
        assert "1 thread, batch 1: median" in r.stdout and "runs)" in r.stdout, r.stdout


def test_export_refuses_wrong_suffix_and_int8_for_pt2(trained):
    from dse.deploy.export import export_model
    from dse.models import create

    with pytest.raises(ConfigError, match="should end in .onnx"):
        export_model(create("hps-06-0.5x"), {"name": "hps-06-0.5x"}, "cifar10", "onnx",
                     trained / "x.pt2")
    with pytest.raises(ConfigError, match="--int8"):
        export_model(create("hps-06-0.5x"), {"name": "hps-06-0.5x"}, "cifar10", "pt2",
                     trained / "x.pt2", int8=True)


def test_compact_int8_graph_computes_the_same(tmp_path):
    """Short tensor names change the file, not a single output value."""
    import onnx
    import torch

    from dse import models
    from dse.deploy.exporters import get_exporter
    from dse.deploy.ort import session
    from dse.deploy.quantize import compact

    fp = tmp_path / "m.onnx"
    get_exporter("onnx").export(models.create("hps-06-0.5x").eval(), torch.randn(2, 3, 32, 32),
                                fp, {})
    full = onnx.load(fp)
    small = compact(onnx.load(fp))
    onnx.save(small, tmp_path / "s.onnx")
    x = np.random.RandomState(0).randn(4, 3, 32, 32).astype(np.float32)
    a = session(fp, 1).run(None, {"input": x})[0]
    b = session(tmp_path / "s.onnx", 1).run(None, {"input": x})[0]
    assert np.array_equal(a, b)
    assert len(small.SerializeToString()) < len(full.SerializeToString())
    assert max(len(t.name) for t in small.graph.initializer) <= 4


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with a few bytes of image data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_deploy_run_skips_an_image_bomb_and_a_truncated_image(trained, exported, tmp_path):
    from PIL import Image

    src = tmp_path / "photos"
    src.mkdir()
    (src / "bomb.png").write_bytes(_png_header_only(60_000, 60_000))
    (src / "big.png").write_bytes(_png_header_only(6_000, 5_000))  # 30 MP: dse's own limit
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(src / "ok.png")
    (src / "cut.png").write_bytes((src / "ok.png").read_bytes()[:60])
    r = dse("deploy", "run", "--model", "out/m.onnx", "--source", str(src), cwd=trained,
            check=False)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "bomb.png: its header claims too many pixels" in r.stderr, r.stderr
    assert "big.png: 6,000 x 5,000 pixels is more than" in r.stderr
    assert "cut.png: unreadable" in r.stderr
    assert "1 frames" in r.stdout or "1 frame" in r.stdout
