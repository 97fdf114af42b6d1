"""Models dse found, registered as named variants with their trained weights shipped in
dse/models/pretrained/ (`create(NAME, pretrained=True)`; model cards in docs/models.md).
Each is the best find of a committed experiment, trained by the command in its results
folder (its longest committed run of seed 0, docs/models.md); the figure is the last
epoch's test accuracy, not a chosen epoch's."""

from __future__ import annotations

from dse.models.registry import Pretrained, register_model

_RECIPE = ("SGD Nesterov 0.9, lr 0.1 cosine to 0, weight decay 5e-4, batch 128, random crop "
           "+ flip, all 50,000 CIFAR-10 training images")

register_model(
    "dse-found-t119", "hps", blocks=[3, 3, 1, 2], stage_channels=[16, 32, 96, 64],
    stem_channels=16, stem_stride=2, head_channels=32, strides=[1, 1, 2, 1],
    squeeze=[0.5, 0.25], conv3="dw5", se=0.0, order="conv-bn-act", resolution=1.0,
    activation="relu", dropout=0.0,
    pretrained=Pretrained(
        file="dse-found-t119.pt",
        sha256="262471d90d46be4e8cc3299fc0d8c26b7ae98f92e3d99ef7e83fbf608e742c7c",
        dataset="cifar10", test_accuracy=0.8563,
        training=f"220 epochs, seed 0; {_RECIPE}", source="results/long-run-2"))

register_model(
    "dse-found-t131", "hps", blocks=[1, 1, 1, 1], stage_channels=[48, 64, 32, 192],
    stem_channels=24, stem_stride=2, head_channels=32, strides=[1, 1, 2, 1],
    squeeze=[0.25, 1.0], conv3="sep", se=0.0, order="conv-bn-act", resolution=1.0,
    activation="relu", dropout=0.1,
    pretrained=Pretrained(
        file="dse-found-t131.pt",
        sha256="3b1087c56348a1feb914f15267726f603f1d6b75fd9a7c88fc3bb91a6a140d8d",
        dataset="cifar10", test_accuracy=0.8784,
        training=f"360 epochs, seed 0; {_RECIPE}", source="results/frontier-run"))
