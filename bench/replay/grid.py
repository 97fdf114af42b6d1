"""The replay benchmark's table: a small HPS grid, every point trained once with its curve.

108 architectures (stage 2 and 3 block counts, width, activation, and a resolution
multiplier of 0.5 or 0.75, i.e. 16 or 24 pixels, so that the whole table records in about
3 CPU-hours here) under dse's default recipe (SGD Nesterov lr 0.1, cosine over EPOCHS,
batch 128), trained on a balanced CIFAR-10 subset and validated after every epoch.
`record.py` fills the table, `replay.py` replays search strategies against it.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
DATA = HERE / "data"
EPOCHS, TRAIN_IMAGES, VAL_IMAGES = 20, 2000, 1000

DIMS = {"blocks2": [1, 2, 4], "blocks3": [1, 2, 4], "width": [0.5, 0.75, 1.0],
        "resolution": [0.5, 0.75], "activation": ["relu", "elu"]}


def points() -> list[dict]:
    """Every grid point, in a fixed shuffled order (a prefix is a random sample)."""
    out = [dict(zip(DIMS, v, strict=True)) for v in itertools.product(*DIMS.values())]
    random.Random(0).shuffle(out)
    return out


def key(point: dict) -> str:
    """A grid point's name, e.g. b1-2-3-1_w0.5_r1.0_relu."""
    return (f"b1-{point['blocks2']}-{point['blocks3']}-1_w{point['width']}_"
            f"r{point['resolution']}_{point['activation']}")


def spec(point: dict) -> dict:
    """The dse model spec of a grid point."""
    return {"name": "hps", "blocks": [1, point["blocks2"], point["blocks3"], 1],
            "width": point["width"], "resolution": point["resolution"],
            "activation": point["activation"]}


def load_table(folder: Path = DATA) -> dict[str, dict]:
    """Recorded rows by grid key (every shard file under `folder`)."""
    table = {}
    for path in sorted(folder.glob("curves-*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a killed recorder
                continue
            table[row["key"]] = row
    return table
