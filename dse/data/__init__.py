"""Data sets: the registry of kinds (CIFAR, npz, ImageFolder) read by SPEC, in-memory
tensors, splits and batched augmentation."""

from dse.data import sources  # noqa: F401  (registers the built-in data-set kinds)
from dse.data.cifar import Split, load_cifar, resolve_data_dir
from dse.data.loader import Batches, balanced_subset, resize, stratified_split
from dse.data.registry import DataInfo, data_info, load_data, register_dataset


def load_files(dataset: str, data_dir=None, download: bool = False) -> tuple[Split, Split]:
    """(train, test) of the data set SPEC as read from disk, once per process and folder."""
    d = load_data(dataset, data_dir, download)
    return d.train, d.test


__all__ = ["Batches", "DataInfo", "Split", "balanced_subset", "data_info", "load_cifar",
           "load_data", "load_files", "register_dataset", "resize", "resolve_data_dir",
           "stratified_split"]
