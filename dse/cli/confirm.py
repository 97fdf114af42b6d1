"""`dse confirm`: retrain a study's best candidates and test them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse.cli.common import (
    Compile,
    DataDir,
    Device,
    Storage,
    app,
    console,
    parse_seeds,
)
from dse.errors import ConfigError


@app.command("confirm")
def confirm_cmd(
    study: Annotated[str, typer.Option(help="Study whose candidates to confirm.")],
    top: Annotated[int | None, typer.Option(min=0, help="Only the K best of the front (by "
                                            "the study's first objective); 0: only the "
                                            "--baseline models.")] = None,
    trials: Annotated[str | None, typer.Option(help="Confirm these trials instead of the "
                                               "front, e.g. 3,7,9.")] = None,
    sample: Annotated[int, typer.Option(min=0, help="Also confirm N random non-front trials, "
                                        "so the proxy check is not made on the front "
                                        "alone.")] = 0,
    epochs: Annotated[int | None, typer.Option(min=1, help="Training epochs [default: the "
                                               "--fidelity's].")] = None,
    fidelity: Annotated[str | None, typer.Option(help="Take the epochs of this fidelity of "
                                                 "the study's space [default: the study's "
                                                 "own].")] = None,
    repeats: Annotated[int, typer.Option(min=1, max=20, help="Seeds per candidate: seeds "
                                         "0 to N-1.")] = 1,
    seeds: Annotated[str | None, typer.Option(
        help="Run exactly these seeds instead, e.g. 2 or 0,2: so that another process can "
             "train a candidate's other seeds at the same time.")] = None,
    baseline: Annotated[list[str] | None, typer.Option(
        help="Also train this registered model (e.g. the papers' hps-06-0.5x) the same way, "
             "with the default recipe, for a like-with-like comparison (repeatable).")]
    = None,
    train_images: Annotated[int | None, typer.Option(
        min=100, help="Train on a balanced subset of N images (quick checks) [default: the "
                      "whole training set].")] = None,
    tta_flip: Annotated[bool, typer.Option(
        help="Also measure test accuracy averaged with the mirrored image (stored as an "
             "extra; the confirmed figure stays single-view).")] = False,
    compile: Compile = "auto",
    storage: Storage = None,
    device: Device = "auto",
    seed: Annotated[int, typer.Option(help="Seed of --sample's draw.")] = 0,
    artifacts: Annotated[Path, typer.Option(help="Where checkpoints go.")] = Path("studies"),
    data_dir: DataDir = None,
):
    """Retrain the study's best candidates on the whole training set and test them.

    Results are stored beside the trials they confirm and appear in `dse pareto`, `dse show`
    and the report. Running the command again continues an interrupted confirmation.
    """
    from dse.confirm import choose, confirm
    from dse.report.data import load_study_frame
    from dse.train.compiling import check_mode
    from dse.train.job import load_files

    check_mode(compile)
    if top == 0 and (not baseline or trials or sample):
        raise ConfigError("--top 0 confirms only the --baseline models: name one (e.g. "
                          "--baseline hps-06-0.5x), without --trials or --sample.")
    seed_list = parse_seeds(seeds, repeats)
    frame = load_study_frame(study, storage)
    asked = None
    if trials:
        try:
            asked = [int(t) for t in trials.split(",")]
        except ValueError:
            raise ConfigError(f"--trials takes numbers like 3,7,9, not {trials[:40]!r}.") from None
    chosen = [] if top == 0 else choose(frame, top, asked, sample, seed)
    if epochs is None:
        epochs = _fidelity_epochs(frame, fidelity)
    load_files(frame.attrs.get("dataset", "cifar10"), data_dir)  # missing data: fail first
    results = confirm(study, chosen, epochs, storage=storage, device=device, data_dir=data_dir,
                      artifacts=artifacts,
                      say=lambda m: console.print(m, markup=False), train_images=train_images,
                      baselines=baseline, progress=True, tta_flip=tta_flip, compile=compile,
                      seeds=seed_list)
    frame = load_study_frame(study, storage)
    from dse.report.build import _correlation

    table = Table(title=f"{study}: confirmed on the whole training set, tested on the test set")
    for col in ("trial", "model", "proxy accuracy (%)", "test accuracy (%)", "seeds", "epochs",
                "size (MB)"):
        table.add_column(col, justify="left" if col == "model" else "right")
    rows = {int(r["trial"]): r for _, r in frame.iterrows()}
    from dse.confirmed import baselines as confirmed_baselines
    from dse.store import Store

    for b in confirmed_baselines(Store(storage), study):
        table.add_row("-", Text(f"{b['name']} (papers' model, default recipe)"), "-",
                      f"{b['test_accuracy'] * 100:.2f} ± {b['test_accuracy_std'] * 100:.2f}",
                      str(b["seeds"]), str(b["epochs"]), f"{b.get('size_mb', 0):.3f}")
    for res in results:
        if res["trial"] < 0:
            continue
        r = rows[res["trial"]]
        table.add_row(str(res["trial"]), Text(str(r["model"])),
                      f"{r['accuracy'] * 100:.2f}",
                      f"{res['test_accuracy'] * 100:.2f} ± {res['test_accuracy_std'] * 100:.2f}",
                      str(res["seeds"]), str(res["epochs"]), f"{r['size_mb']:.3f}")
    console.print(table)
    c = _correlation(frame)
    console.print("proxy vs confirmed: " + (
        f"Spearman {c['spearman']:.2f}, Kendall {c['kendall']:.2f} over {c['n']} trials"
        if c["n"] >= 3 else f"{c['n']} trial(s) confirmed, too few for a rank correlation"))


def _fidelity_epochs(frame, fidelity: str | None) -> int:
    """Epochs of a fidelity of the study's space (the study's own by default)."""
    from dse.search.space import load_space

    name = fidelity or frame.attrs.get("fidelity")
    try:
        space = load_space(frame.attrs.get("space") or "")
    except ConfigError:
        raise ConfigError(f"the study's space {frame.attrs.get('space')!r} is not at hand to "
                          f"read fidelity {name!r}; pass --epochs E.") from None
    if name not in space.fidelities:
        raise ConfigError(f"space {space.name!r} has no fidelity {str(name)[:40]!r}; it has "
                          f"{', '.join(space.fidelities)}.")
    return space.fidelities[name].epochs


@app.command("frontier")
def frontier_cmd(
    study: Annotated[list[str] | None, typer.Option(help="Study whose confirmations to "
                                                    "list (repeatable).")] = None,
    run: Annotated[list[Path] | None, typer.Option(
        help="Also list a finished `dse train` run tested on the test set (--val-size 0): "
             "its output folder (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the Markdown here [default: "
                                             "print it].")] = None,
    storage: Annotated[list[str] | None, typer.Option(
        help="SQLAlchemy URL of the store: one for every --study, or one per --study in "
             "the same order [default: $DSE_STORAGE, else sqlite:///studies/dse.db].")]
    = None,
):
    """Every confirmed model beside the baselines dse trained and the papers' published
    figures, as a Markdown table (results/frontier.md)."""
    import shlex
    import sys

    from dse.fileio import atomic_write_text
    from dse.report.data import load_study_frame
    from dse.report.frontier import frontier_markdown, load_run
    from dse.store import Store
    from dse.store.url import redact

    study = list(study or [])
    if not study and not run:
        raise ConfigError("give at least one --study (its confirmations) or --run (a "
                          "`dse train` output folder).")
    runs = [load_run(folder, str(folder)) for folder in run or []]  # bad folder: exit 2
    urls = list(storage or [None])
    if len(urls) == 1:
        urls *= len(study)
    if len(urls) != len(study):
        raise ConfigError(f"--storage was given {len(urls)} times for {len(study)} --study "
                          f"options: give it once (all studies in one store) or once per "
                          f"--study, in the same order.")
    stores: dict[str | None, Store] = {}
    sources = []
    for name, url in zip(study, urls, strict=True):
        frame = load_study_frame(name, url)  # unknown study or store: exit 2
        if url not in stores:
            stores[url] = Store(url, create=False)
        sources.append((stores[url], name, frame))
    args = [redact(a) for a in sys.argv[1:]]
    dataset = (sources[0][2].attrs.get("dataset", "cifar10") if sources
               else runs[0]["dataset"])
    text = frontier_markdown(sources, dataset, "dse " + shlex.join(args), runs)
    if out is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    atomic_write_text(text, out)
    console.print(f"wrote {out}", markup=False)
