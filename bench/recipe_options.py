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
    ap.add_argument("--decay", type=float, default=0.999)
    args = ap.parse_args()
    train, val, _ = prepare_data(DataPlan("cifar10", val_size=5000, subset=args.images), 1.0)
    runs: dict[float, list[list[dict]]] = {0.0: [], args.decay: []}
    for seed in range(args.seeds):
        for decay in runs:  # interleaved: both variants see the same machine state
            torch.manual_seed(seed)
            model = create(args.model)
            cfg = TrainConfig(epochs=args.epochs, seed=seed, ema_decay=decay, tta_flip=True)
            runs[decay].append(fit(model, train, val, cfg, device="cpu"))
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
          f"bench/recipe_options.py --model {args.model} --epochs {args.epochs} --images "
          f"{args.images} --seeds {args.seeds} --decay {args.decay}")
    print(f"{args.model}, default recipe (SGD lr 0.1 cosine over {args.epochs} epochs), "
          f"{len(train)} training / {len(val)} validation images, {args.seeds} seeds; "
          f"CPU {hardware.cpu_name()}, {torch.get_num_threads()} threads")
    print(f"{'epoch':>5} {'plain val acc':>18} {'EMA ' + str(args.decay):>18} "
          f"{'plain + flip':>18} {'EMA + flip':>18}")

    def cell(rows: list[list[dict]], e: int, key: str) -> str:
        xs = [r[e][key] * 100 for r in rows]
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        return f"{statistics.fmean(xs):.2f} ± {sd:.2f}"
    for e in range(args.epochs):
        print(f"{e + 1:>5} {cell(runs[0.0], e, 'val_acc'):>18} "
              f"{cell(runs[args.decay], e, 'val_acc'):>18} "
              f"{cell(runs[0.0], e, 'val_acc_flip'):>18} "
              f"{cell(runs[args.decay], e, 'val_acc_flip'):>18}")


if __name__ == "__main__":
    main()
