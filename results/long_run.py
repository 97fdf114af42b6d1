"""One runner for the long runs under results/: train a found architecture for many epochs
(resumable), then evaluate, export (float32 + int8, with cards), re-check both files in the
embedded runtime, account for the training time, and regenerate results/frontier.md from
every committed store and long run it finds.

    .venv/bin/python results/long_run.py train long-run-3 \\
        --model-from \\
        results/proof-0.37mb/studies/proof-0.37mb/confirm/trial-00131-e30-s0/checkpoint.pt \\
        --epochs 100 --seed 0          # results/long-run-3/run/, log train.log; run it again
                                       # after a stop: it continues from run/resume.pt
    .venv/bin/python results/long_run.py finish long-run-3 --export trial-131-e100
    .venv/bin/python results/long_run.py frontier

Run from the repository root; `DSE_DATA_DIR` (default ../shared/data) holds CIFAR-10.
The training recipe is dse's default (SGD Nesterov 0.9, lr 0.1 cosine, weight decay 5e-4,
batch 128, crop + flip); extra `dse train` options follow `--`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
DSE = [sys.executable, "-m", "dse.cli"]
LONG = 100  # a `dse train` run of at least this many epochs is a long run for the frontier


def data_dir() -> str:
    return os.environ.get("DSE_DATA_DIR", str(ROOT.parent / "shared" / "data"))


def train(name: str, model_from: str, epochs: int, seed: int, threads: int, extra: list[str]
          ) -> int:
    """Start, or continue from run/resume.pt, the run results/NAME/run (log: train.log)."""
    folder = RESULTS / name
    run = folder / "run"
    resume = ["--resume", str(run / "resume.pt")] if (run / "resume.pt").is_file() else []
    cmd = [*DSE, "train", "--model-from", model_from, "--epochs", str(epochs), "--seed",
           str(seed), "--val-size", "0", "--resumable", "--device", "cpu", "--data-dir",
           data_dir(), "--out", str(run.relative_to(ROOT)), *resume, *extra]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train.log", "a") as log:
        log.write("$ " + " ".join(cmd[2:]) + "\n")
        log.flush()
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        return subprocess.call(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)


def finish(name: str, export_name: str) -> None:
    """Evaluate, export, re-check in the runtime, account time, regenerate the frontier."""
    folder = RESULTS / name
    run = folder / "run"
    if not (run / "metrics.json").is_file():
        sys.exit(f"the run has not finished: no {run / 'metrics.json'}")
    rel = lambda p: str(p.relative_to(ROOT))  # noqa: E731
    out = folder / "export" / f"{export_name}.onnx"
    _logged(folder / "evaluate.log", [*DSE, "evaluate", "--checkpoint", rel(run / "checkpoint.pt"),
                                      "--tta-flip", "--device", "cpu", "--data-dir", data_dir()])
    _logged(folder / "export.log", [*DSE, "export", "--checkpoint", rel(run / "checkpoint.pt"),
                                    "--out", rel(out), "--int8", "--data-dir", data_dir()])
    test_batch = Path(data_dir()) / "cifar-10-batches-bin" / "test_batch.bin"
    with open(folder / "deploy.log", "w") as log:
        for model in (out, out.with_name(f"{export_name}.int8.onnx")):
            cmd = [*DSE, "deploy", "run", "--model", rel(model), "--source", str(test_batch)]
            log.write("$ dse " + " ".join(cmd[3:]) + "\n")
            text = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout
            log.write("\n".join(text.strip().splitlines()[-3:]) + "\n")  # the summary lines
    pauses = [str(folder / "pauses.txt")] if (folder / "pauses.txt").is_file() else []
    _logged(folder / "timing.txt", [sys.executable, str(RESULTS / "long-run" / "timing.py"),
                                    str(run), *pauses])
    frontier()


def stores() -> list[tuple[str, Path]]:
    """(study, store) for every study with confirmations in a committed results/*/dse.db; a
    study name in several stores (a store copied to continue an experiment) is taken from
    the one with the most confirmation runs."""
    # lazy: dse's store loads SQLAlchemy and Optuna, only for the frontier
    sys.path.insert(0, str(ROOT))
    from dse.store import Store

    best: dict[str, tuple[int, Path]] = {}
    for db in sorted(RESULTS.glob("*/dse.db")):
        store = Store(f"sqlite:///{db}", create=False)
        for study in store.study_names():
            n = len(store.confirmations(study))
            if n and n > best.get(study, (0, db))[0]:
                best[study] = (n, db)
    return [(study, db) for study, (_, db) in sorted(best.items())]


def long_runs() -> list[Path]:
    """Every `dse train` run under results/ tested on the test set (validation size 0) on all
    training images for at least LONG epochs."""
    found = []
    for metrics in sorted(RESULTS.glob("**/metrics.json")):
        if "studies" in metrics.parts or not (metrics.parent / "checkpoint.pt").is_file():
            continue
        m = json.loads(metrics.read_text())
        data = m.get("data", {})
        if data.get("val_size") == 0 and not data.get("subset") and \
                m.get("train_config", {}).get("epochs", 0) >= LONG:
            found.append(metrics.parent)
    return found


def frontier() -> None:
    """results/frontier.md from every discovered store and long run."""
    args = []
    for study, db in stores():
        args += ["--study", study, "--storage", f"sqlite:///{db.relative_to(ROOT)}"]
    for run in long_runs():
        args += ["--run", str(run.relative_to(ROOT))]
    subprocess.run([*DSE, "frontier", *args, "--out", "results/frontier.md"], cwd=ROOT,
                   check=True)


def _logged(path: Path, cmd: list[str]) -> None:
    with open(path, "w") as log:
        subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="verb", required=True)
    t = sub.add_parser("train", help="start or continue results/NAME/run")
    t.add_argument("name")
    t.add_argument("--model-from", required=True)
    t.add_argument("--epochs", type=int, required=True)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    f = sub.add_parser("finish", help="evaluate, export, re-check, time, frontier")
    f.add_argument("name")
    f.add_argument("--export", dest="export_name", required=True,
                   help="file stem, e.g. trial-131-e100")
    sub.add_parser("frontier", help="regenerate results/frontier.md")
    # `dse train` options of a run (after `--`) pass through, wherever they stand
    a, extra = p.parse_known_args()
    if extra and a.verb != "train":
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    if a.verb == "train":
        sys.exit(train(a.name, a.model_from, a.epochs, a.seed, a.threads,
                       [x for x in extra if x != "--"]))
    if a.verb == "finish":
        finish(a.name, a.export_name)
    else:
        frontier()


if __name__ == "__main__":
    main()
