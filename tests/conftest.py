"""Shared fixtures: the real CIFAR-10 folder and writers of official-format files."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings

# Hypothesis: the same examples on every run (no luck between CI runs), no per-example
# deadline (a loaded machine is not a failure); each test states its example budget.
settings.register_profile("dse", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("dse")

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Under pytest-xdist (`-n 2`, the test command), pin each worker process to its own
    core: the `dse` processes a test starts inherit the pinning, and dse sizes its threads
    and `--workers auto` by the cores it may use, so two workers never oversubscribe."""
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    cores = sorted(os.sched_getaffinity(0))
    if worker.startswith("gw") and len(cores) > 1:
        os.sched_setaffinity(0, {cores[int(worker[2:]) % len(cores)]})


@pytest.fixture(autouse=True, scope="session")
def _threads():
    torch.set_num_threads(max(1, min(2, len(os.sched_getaffinity(0)))))


@pytest.fixture(autouse=True)
def _registries():
    """Whatever a test registers (a toy plugin's family, metric, scheduler...) is forgotten
    after it, so no later test sees it."""
    from dse.registry import Registry

    restore = Registry.snapshot()
    yield
    restore()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real CIFAR-10 data: $DSE_DATA_DIR, else ../shared/data beside the repository."""
    root = Path(os.environ.get("DSE_DATA_DIR", REPO.parent / "shared" / "data")).resolve()
    if not (root / "cifar-10-batches-bin").is_dir():
        pytest.fail(f"real CIFAR-10 not found under {root}; set DSE_DATA_DIR", pytrace=False)
    return root


def write_cifar10_bin(folder: Path, images: np.ndarray, labels: np.ndarray, parts: int = 5):
    """Write images (N, 3, 32, 32) uint8 as the official binary layout: 5 train + 1 test."""
    folder.mkdir(parents=True, exist_ok=True)
    chunks = np.array_split(np.arange(len(labels)), parts + 1)
    names = [f"data_batch_{i}.bin" for i in range(1, parts + 1)] + ["test_batch.bin"]
    for name, idx in zip(names, chunks, strict=True):
        rec = np.concatenate([labels[idx, None].astype(np.uint8),
                              images[idx].reshape(len(idx), -1)], axis=1)
        rec.tofile(folder / name)


def write_cifar10_py(folder: Path, images: np.ndarray, labels: np.ndarray, parts: int = 5):
    """The same images in the python-pickle layout that torchvision downloads."""
    folder.mkdir(parents=True, exist_ok=True)
    chunks = np.array_split(np.arange(len(labels)), parts + 1)
    names = [f"data_batch_{i}" for i in range(1, parts + 1)] + ["test_batch"]
    for name, idx in zip(names, chunks, strict=True):
        batch = {"data": images[idx].reshape(len(idx), -1), "labels": labels[idx].tolist()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)


def write_cifar100(root: Path, layout: str, n_train: int = 300, n_test: int = 100, seed: int = 0):
    """Small CIFAR-100 files in an official layout ("python" or "binary"); returns labels."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        fine = np.arange(n) % 100
        coarse = fine // 5
        if layout == "python":
            folder = root / "cifar-100-python"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / split, "wb") as f:
                pickle.dump({b"data": images.reshape(n, -1), b"fine_labels": fine.tolist(),
                             b"coarse_labels": coarse.tolist()}, f)
        else:
            folder = root / "cifar-100-binary"
            folder.mkdir(parents=True, exist_ok=True)
            rec = np.concatenate([coarse[:, None], fine[:, None], images.reshape(n, -1)], axis=1)
            rec.astype(np.uint8).tofile(folder / f"{split}.bin")
        out[split] = (images, fine)
    return out


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on loopback for this test session."""
    from postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres, request) -> str:
    """A fresh database on the session's server."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    return postgres.create_database(name)
