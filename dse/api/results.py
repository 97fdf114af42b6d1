"""`pareto`, `report`, `frontier`: what a study found, as data, pages and tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import optuna
import pandas as pd

from dse.errors import ConfigError, DseError
from dse.fileio import atomic_write_text
from dse.paths import output_folder, study_folder
from dse.records import MEASURED
from dse.report.build import build_report, pareto_page, table_columns
from dse.report.data import load_study_frame, pareto_mask, trial_detail
from dse.report.frontier import frontier_markdown, load_run
from dse.store import Store


@dataclass
class Front:
    """A study's non-dominated trials on `objectives`, the columns worth showing, how many
    trials were completed, and the page written."""

    study: str
    objectives: list[str]
    front: pd.DataFrame
    columns: list[str]
    completed: int
    page: Path


def pareto(study: str, *, objectives: list[str] | None = None, storage: str | None = None,
           out: Path | None = None) -> Front:
    """The study's front (projected onto 2-4 `objectives`, default: the study's), sorted by
    the first; writes the Pareto page into `out` (default: reports/STUDY)."""
    frame = load_study_frame(study, storage)
    objs = objectives or list(frame.attrs["objectives"])
    done = frame[frame["status"].isin(MEASURED)] if len(frame) else frame
    if done.empty:
        raise DseError(f"study {study!r} has no completed trials yet ({len(frame)} trials in "
                       f"all); run `dse run` longer, or look at `dse studies`.")
    front = frame[pareto_mask(frame, objs)].sort_values(objs[0])
    folder = Path(out) if out else study_folder("reports", study)
    output_folder(folder)
    page = pareto_page(frame, objs, folder)
    cols = [c for c in table_columns(frame, details=False) if c != "status"] + ["checkpoint"]
    return Front(study, objs, front, cols, len(done), page)


def report(study: str, *, storage: str | None = None, out: Path | None = None,
           refresh: int | None = None) -> Path:
    """Write the study's HTML report (index, Pareto, hypervolume, parameters, trials) into
    `out` (default: reports/STUDY); `refresh` makes the pages reload every N seconds.
    Returns the index page."""
    return build_report(study, storage, out, refresh=refresh)


def frontier(studies: list[str], *, storages: list[str | None] | None = None,
             runs: list[Path] | None = None, out: Path | None = None, command: str = ""
             ) -> str:
    """Every confirmed model of `studies` (each in its store: one URL for all, or one per
    study) and every finished `dse train` run in `runs`, beside the baselines dse trained
    and the papers' published figures, as Markdown; written to `out` when given."""
    if not studies and not runs:
        raise ConfigError("give at least one --study (its confirmations) or --run (a "
                          "`dse train` output folder).")
    loaded = [load_run(folder, str(folder)) for folder in runs or []]  # bad folder: exit 2
    urls = list(storages or [None])
    if len(urls) == 1:
        urls *= len(studies)
    if len(urls) != len(studies):
        raise ConfigError(f"--storage was given {len(urls)} times for {len(studies)} --study "
                          f"options: give it once (all studies in one store) or once per "
                          f"--study, in the same order.")
    stores: dict[str | None, Store] = {}
    sources = []
    for name, url in zip(studies, urls, strict=True):
        frame = load_study_frame(name, url)  # unknown study or store: exit 2
        if url not in stores:
            stores[url] = Store(url, create=False)
        sources.append((stores[url], name, frame))
    dataset = sources[0][2].attrs.get("dataset", "cifar10") if sources else \
        loaded[0]["dataset"]
    text = frontier_markdown(sources, dataset, command, loaded)
    if out is not None:
        atomic_write_text(text, out)
    return text


def studies(storage: str | None = None) -> tuple[str, list[dict]]:
    """The studies in a store (its URL with the password hidden, and per study: name,
    space, data set, fidelity and trial counts by dse status)."""
    store = Store(storage, create=False)
    rows = [{"study": s.study_name, "space": s.user_attrs.get("space"),
             "data": s.user_attrs.get("dataset"),
             "fidelity": s.user_attrs.get("fidelity"),
             "statuses": store.status_counts(s.study_name)}
            for s in optuna.get_all_study_summaries(store.optuna)]
    return store.safe_url, rows


def show(study: str, trial: int | None = None, storage: str | None = None
         ) -> pd.DataFrame | dict:
    """A trial's config, curves and measurements (`trial_detail`), or without `trial` the
    study's trials as a DataFrame."""
    if trial is None:
        return load_study_frame(study, storage).drop(columns=["candidate"], errors="ignore")
    return trial_detail(study, trial, storage)
