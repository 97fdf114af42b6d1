"""Recipe options that cost no compute, measured before any becomes a default.

Trains the same model with and without an exponential moving average of its weights
(`ema_decay`), several seeds each, on the same CIFAR-10 subset, and reports validation
accuracy (and, as an extra, accuracy averaged with the mirrored image) per epoch: mean and
spread over seeds, side by side in one process. A default changes only if the gain is
larger than the seeds' spread.

    python bench/recipe_options.py [--model hps-06-0.5x] [--epochs 10] [--images 10000]
                                   [--seeds 3] [--decay 0.999]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dse import hardware
from dse.models import create
from dse.train import TrainConfig, fit
from dse.train.job import DataPlan, prepare_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hps-06-0.5x")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--decay", type=float, nargs="+", default=[0.999],
                    help="EMA decays to compare with the plain weights")
    args = ap.parse_args()
    train, val, _ = prepare_data(DataPlan("cifar10", val_size=5000, subset=args.images), 32)
    runs: dict[float, list[list[dict]]] = {0.0: [], **{d: [] for d in args.decay}}
    for seed in range(args.seeds):
        for decay in runs:  # interleaved: both variants see the same machine state
            torch.manual_seed(seed)
            model = create(args.model)
            cfg = TrainConfig(epochs=args.epochs, seed=seed, ema_decay=decay, tta_flip=True)
            runs[decay].append(fit(model, train, val, cfg, device="cpu"))
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
          f"bench/recipe_options.py --model {args.model} --epochs {args.epochs} --images "
          f"{args.images} --seeds {args.seeds} --decay {' '.join(map(str, args.decay))}")
    print(f"{args.model}, default recipe (SGD lr 0.1 cosine over {args.epochs} epochs), "
          f"{len(train)} training / {len(val)} validation images, {args.seeds} seeds; "
          f"CPU {hardware.cpu_name()}, {torch.get_num_threads()} threads")
    heads = [f"plain{f}" for f in ("", " + flip")] + [
        f"EMA {d}{f}" for d in args.decay for f in ("", " + flip")]
    print(f"{'epoch':>5} " + " ".join(f"{h:>18}" for h in heads))

    def cell(rows: list[list[dict]], e: int, key: str) -> str:
        xs = [r[e][key] * 100 for r in rows]
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        return f"{statistics.fmean(xs):.2f} ± {sd:.2f}"
    for e in range(args.epochs):
        cells = [cell(rows, e, k) for rows in runs.values() for k in ("val_acc", "val_acc_flip")]
        print(f"{e + 1:>5} " + " ".join(f"{c:>18}" for c in cells))
    print("validation accuracy (%), mean ± sample std over seeds; '+ flip': softmax averaged "
          "with the mirrored image (an extra figure, twice the evaluation cost)")
    print(f"paired differences at epoch {args.epochs} (same seed, points; mean ± sample std):")
    base = [r[-1]["val_acc"] * 100 for r in runs[0.0]]
    for decay, rows in runs.items():
        for key, label in (("val_acc", ""), ("val_acc_flip", " + flip")):
            if decay == 0.0 and key == "val_acc":
                continue
            d = [r[-1][key] * 100 - b for r, b in zip(rows, base, strict=True)]
            sd = statistics.stdev(d) if len(d) > 1 else 0.0
            name = "plain" if decay == 0.0 else f"EMA {decay}"
            print(f"  {name}{label} - plain: {statistics.fmean(d):+.2f} ± {sd:.2f}")


if __name__ == "__main__":
    main()
