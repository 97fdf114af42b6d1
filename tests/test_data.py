"""CIFAR readers, validation, splits and batched augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import write_cifar10_bin, write_cifar10_py, write_cifar100

from dse.data import Batches, balanced_subset, load_cifar, resize, stratified_split
from dse.errors import DataError


def test_real_cifar10_loads_with_class_balance(data_dir):
    train, test = load_cifar("cifar10", data_dir)
    assert (len(train), len(test)) == (50_000, 10_000)
    assert train.images.dtype == torch.uint8 and train.images.shape[1:] == (3, 32, 32)
    assert train.labels.bincount().tolist() == [5000] * 10
    assert test.labels.bincount().tolist() == [1000] * 10


def test_both_cifar10_layouts_give_identical_tensors(data_dir, tmp_path):
    train, _ = load_cifar("cifar10", data_dir)
    images, labels = train.images[:1200].numpy(), train.labels[:1200].numpy()
    write_cifar10_bin(tmp_path / "bin" / "cifar-10-batches-bin", images, labels)
    write_cifar10_py(tmp_path / "py" / "cifar-10-batches-py", images, labels)
    a_tr, a_te = load_cifar("cifar10", tmp_path / "bin")
    b_tr, b_te = load_cifar("cifar10", tmp_path / "py")
    assert torch.equal(a_tr.images, b_tr.images) and torch.equal(a_tr.labels, b_tr.labels)
    assert torch.equal(a_te.images, b_te.images) and torch.equal(a_te.labels, b_te.labels)
    assert torch.equal(torch.cat([a_tr.images, a_te.images]), torch.from_numpy(images))


@pytest.mark.parametrize("layout", ["python", "binary"])
def test_cifar100_layouts(tmp_path, layout):
    written = write_cifar100(tmp_path, layout)
    train, test = load_cifar("cifar100", tmp_path)
    assert torch.equal(train.images, torch.from_numpy(written["train"][0]))
    assert train.labels.tolist() == written["train"][1].tolist()  # fine labels, not coarse
    assert len(test) == 100 and int(train.labels.max()) == 99


def test_missing_folder_names_what_was_searched(tmp_path):
    with pytest.raises(DataError) as exc:
        load_cifar("cifar10", tmp_path)
    msg = str(exc.value)
    assert "cifar-10-batches-bin" in msg and "cifar-10-batches-py" in msg
    assert str(tmp_path) in msg and "--download" in msg


def test_truncated_binary_file_is_named(data_dir, tmp_path):
    train, _ = load_cifar("cifar10", data_dir)
    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar10_bin(folder, train.images[:600].numpy(), train.labels[:600].numpy())
    path = folder / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="data_batch_3.bin.*truncated"):
        load_cifar("cifar10", tmp_path)


def test_corrupt_pickle_and_bad_labels(data_dir, tmp_path):
    train, _ = load_cifar("cifar10", data_dir)
    folder = tmp_path / "cifar-10-batches-py"
    images, labels = train.images[:600].numpy(), train.labels[:600].numpy()
    write_cifar10_py(folder, images, labels)
    (folder / "data_batch_2").write_bytes((folder / "data_batch_2").read_bytes()[:500])
    with pytest.raises(DataError, match="data_batch_2"):
        load_cifar("cifar10", tmp_path)
    labels = labels.copy()
    labels[7] = 12
    write_cifar10_py(folder, images, labels)
    with pytest.raises(DataError, match="labels outside 0..9"):
        load_cifar("cifar10", tmp_path)


def test_pickle_with_foreign_class_is_refused(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar10_py(folder, np.zeros((12, 3, 32, 32), np.uint8), np.zeros(12, np.int64))
    import pickle

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": set()}))
    with pytest.raises(DataError, match="test_batch"):
        load_cifar("cifar10", tmp_path)


def test_stratified_split_and_subset(data_dir):
    train, _ = load_cifar("cifar10", data_dir)
    tr, va = stratified_split(train, 5000, seed=3)
    assert len(tr) == 45_000 and va.labels.bincount().tolist() == [500] * 10
    tr2, va2 = stratified_split(train, 5000, seed=3)
    assert torch.equal(va.images, va2.images)
    sub = balanced_subset(tr, 1000, seed=3)
    assert sub.labels.bincount().tolist() == [100] * 10
    assert not torch.equal(stratified_split(train, 5000, seed=4)[1].images, va.images)
    assert resize(sub, 24).images.shape[-2:] == (24, 24)


def test_augmentation_crops_and_flips_per_image():
    from dse.data import Split

    img = torch.arange(3 * 32 * 32, dtype=torch.int64).reshape(1, 3, 32, 32) % 251
    split = Split(img.repeat(256, 1, 1, 1).to(torch.uint8), torch.zeros(256, dtype=torch.long))
    b = Batches(split, "cifar10", 256, torch.device("cpu"), train=True, augment=True, seed=1)
    x, _ = next(iter(b))
    assert x.shape == (256, 3, 32, 32)
    distinct = {tuple(v.flatten()[:200].tolist()) for v in x}
    assert len(distinct) > 50  # different crops and flips within one batch
    b.set_epoch(0)
    x2, _ = next(iter(b))
    assert torch.equal(x, x2)  # an epoch's augmentation is a function of (seed, epoch)
    b.set_epoch(1)
    assert not torch.equal(x, next(iter(b))[0])
