"""Reading an ImageFolder of PNG files: the first time (decoded, then cached as uint8 arrays)
against the second (from the cache), side by side in one process.

Writes the CIFAR-10 training images (default all 50,000) as 32x32 PNG files in ten class
folders under a temporary folder, then times `dse.data.sources.ImageFolder().load` twice
with an empty cache folder. Prints both wall times and their ratio.

    python bench/imagefolder_cache.py [--images 50000] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image

from dse import hardware
from dse.data import load_cifar
from dse.data.sources import FolderOptions, ImageFolder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=50_000)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dse-imagefolder-"))
    try:
        train, _ = load_cifar("cifar10", args.data_dir)
        x, y = train.images[:args.images].numpy(), train.labels[:args.images].numpy()
        t0 = time.perf_counter()
        for i, (img, label) in enumerate(zip(x, y, strict=True)):
            d = tmp / "photos" / f"class-{label}"
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img.transpose(1, 2, 0)).save(d / f"{i:05d}.png")
        wrote = time.perf_counter() - t0
        opts = FolderOptions(cache=str(tmp / "cache"))
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            d = ImageFolder().load(tmp / "photos", opts)
            times.append(time.perf_counter() - t0)
        n = len(d.train) + len(d.test)
        print(f"# {hardware.cpu_name()}; {args.images:,} PNG files written in {wrote:.1f} s")
        print(f"first read (decode + cache): {times[0]:.2f} s for {n:,} images")
        print(f"second read (from the cache): {times[1]:.3f} s")
        print(f"ratio: {times[0] / times[1]:.0f}x faster the second time")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
