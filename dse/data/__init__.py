"""CIFAR data: official file formats, in-memory tensors, splits and batched augmentation."""

from dse.data.cifar import NUM_CLASSES, Split, load_cifar, load_files, resolve_data_dir
from dse.data.loader import Batches, balanced_subset, resize, stratified_split

__all__ = ["NUM_CLASSES", "Batches", "Split", "balanced_subset", "load_cifar", "load_files",
           "resize",
           "resolve_data_dir", "stratified_split"]
