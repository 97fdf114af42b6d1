"""What `dse run` shows: a live view on a terminal, one line per event in a log.

Both get the same events from the objective: a trial starts (its model and recipe), a
batch report (at most twice a second), an epoch ends, a trial ends.
"""

from __future__ import annotations

import time

import optuna
from optuna.trial import TrialState
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dse import metrics
from dse.records import TRIAL_STATUSES, EpochRow, Status
from dse.store import Store, status_of


def make_display(log_format: str, quiet: bool, study: optuna.Study, n_trials: int | None,
                 timeout: float | None, console: Console, epochs: int,
                 store: Store | None = None) -> PlainDisplay:
    """A LiveDisplay on a terminal ("rich"), else a PlainDisplay ("plain"); trial statuses
    and reasons are read from `store`, their only writer."""
    rich_view = log_format == "rich" or (log_format == "auto" and console.is_terminal)
    cls = LiveDisplay if rich_view and not quiet else PlainDisplay
    return cls(study, n_trials, timeout, console, epochs, quiet, store)


class PlainDisplay:
    """One line per event, never redrawn: for logs, pipes and --quiet."""

    wants_batches = False  # batch progress costs host syncs; only the live view draws it

    def __init__(self, study: optuna.Study, n_trials: int | None, timeout: float | None,
                 console: Console, epochs: int, quiet: bool = False,
                 store: Store | None = None):
        self.study, self.n_trials, self.timeout, self.console = study, n_trials, timeout, console
        self.epochs, self.quiet, self.store = epochs, quiet, store
        self.start, self.done = time.monotonic(), 0
        self.current: dict = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def say(self, text: str) -> None:
        """Print one line as plain text (no markup, no wrapping into the next line)."""
        self.console.print(Text(text, no_wrap=True, overflow="ellipsis"), soft_wrap=True)

    # --------------------------------------------------------------- events
    def trial_started(self, number: int, model: str, recipe: str) -> None:
        """A trial has drawn its candidate and starts measuring or training."""
        self.current = {"trial": number, "model": model, "recipe": recipe, "epoch": 0,
                        "t0": time.monotonic()}
        if not self.quiet:
            self.say(f"trial {number} started: {model} | {recipe}")

    def batch(self, stats: dict) -> None:
        """Progress inside an epoch (the live view draws it; the log does not)."""
        self.current.update(stats)

    def epoch(self, row: EpochRow) -> None:
        """An epoch of the running trial ended."""
        self.current.update(epoch=row["epoch"], batch=None)
        if not self.quiet and row["epoch"] == 0:  # a oneshot fidelity's supernet weights
            self.say(f"trial {self.current.get('trial')} oneshot: val_acc {row['val_acc']:.3f} "
                     f"(supernet weights, BatchNorm recalibrated) {row['epoch_s']:.1f}s")
        elif not self.quiet:
            self.say(f"trial {self.current.get('trial')} epoch {row['epoch']}/{self.epochs}: "
                     f"loss {row['train_loss']:.3f} acc {row['train_acc']:.3f} val_acc "
                     f"{row['val_acc']:.3f} {row['epoch_s']:.1f}s "
                     f"{row['train_images_per_s']:,.0f} img/s")

    def on_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """Optuna callback: a trial ended."""
        self.done += 1
        self.current = {}
        rid = trial.user_attrs.get("dse_id")
        rec = self.store.trial(rid) if self.store is not None and rid is not None else None
        status = rec.status if rec is not None else status_of(trial.state)
        names = study.user_attrs.get("objectives", [])
        values = ", ".join(f"{n}={_with_unit(n, v)}" for n, v in zip(names, trial.values or [],
                                                                  strict=False))
        reason = (rec.reason or "") if rec is not None else ""
        if status == Status.INFEASIBLE:  # its values are placeholders for the sampler
            values = ""
        self.say(f"trial {trial.number:>4} {status:<11} {values} {reason}".rstrip()
                 + f"  [{self.progress_text()}]")

    def progress_text(self) -> str:
        """'3/20 trials this run, 45s elapsed, about 4m left'."""
        elapsed = time.monotonic() - self.start
        left = "?"
        if self.n_trials and self.done:
            left = duration(elapsed / self.done * (self.n_trials - self.done))
        if self.timeout:
            left = "<= " + duration(max(0.0, self.timeout - elapsed))
        return (f"{self.done}/{self.n_trials or '∞'} trials this run, {duration(elapsed)} "
                f"elapsed, time left {left}")


class LiveDisplay(PlainDisplay):
    """A view redrawn twice a second: counts and time, the running trial with its epoch,
    batch, loss, accuracy and images/s, and the current front."""

    wants_batches = True

    def __enter__(self):
        self.live = Live(self.render(), console=self.console, refresh_per_second=2,
                         transient=False, get_renderable=self.render)
        self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.live.__exit__(*exc)

    def say(self, text: str) -> None:
        """Trial lines scroll above the live view."""
        self.console.print(Text(text, no_wrap=True, overflow="ellipsis"))

    def epoch(self, row: EpochRow) -> None:
        """The live view shows epochs; only trial lines are printed."""
        self.current.update(epoch=row["epoch"], batch=None, val_acc=row["val_acc"])

    def trial_started(self, number: int, model: str, recipe: str) -> None:
        """Shown in the view, not printed."""
        self.current = {"trial": number, "model": model, "recipe": recipe, "epoch": 0,
                        "t0": time.monotonic()}

    def render(self) -> Group:
        """The view: study counts and time, the running trial, the front."""
        trials = self.study.get_trials(deepcopy=False)
        by = self.store.status_counts(self.study.study_name) if self.store is not None else {}
        if self.store is None:
            for t in trials:
                by[status_of(t.state)] = by.get(status_of(t.state), 0) + 1
        shown = ", ".join(f"{by.get(s, 0)} {s}" for s in TRIAL_STATUSES
                          if s != Status.RUNNING and (by.get(s) or s == Status.COMPLETE))
        head = Text(f"study {self.study.study_name}: {shown} | {self.progress_text()}",
                    no_wrap=True, overflow="ellipsis")
        parts = [head]
        c = self.current
        if c:
            line = f"running trial {c['trial']}: {c['model']} | {c['recipe']}"
            if c.get("batch"):
                line += (f" | epoch {c['epoch']}/{self.epochs} batch {c['batch']}/"
                         f"{c['batches']} loss {c['loss']:.3f} acc {c['acc']:.3f} "
                         f"{c['images_per_s']:,.0f} img/s")
            elif c.get("epoch"):
                line += f" | epoch {c['epoch']}/{self.epochs} done, val_acc {c['val_acc']:.3f}"
            else:
                line += " | measuring the architecture"
            line += f" | {duration(time.monotonic() - c['t0'])}"
            parts.append(Text(line, no_wrap=True, overflow="ellipsis", style="cyan"))
        objectives = self.study.user_attrs.get("objectives", [])
        front = Table(title="current Pareto front", show_lines=False)
        front.add_column("trial", justify="right")
        for o in objectives:
            front.add_column(metrics.get_metric(o).header if o in metrics.names() else o,
                             justify="right")
        done = any(t.state == TrialState.COMPLETE for t in trials)
        best = sorted(self.study.best_trials, key=lambda t: t.number)[-8:] if done else []
        for t in best:
            front.add_row(str(t.number), *[metrics.get_metric(o).format(v) if o in
                                           metrics.names() else f"{v:.4g}"
                                           for o, v in zip(objectives, t.values, strict=False)])
        parts.append(front)
        return Group(*parts)


def _with_unit(name: str, value: float) -> str:
    if name not in metrics.names():
        return f"{value:.4g}"
    m = metrics.get_metric(name)
    return m.format(value) + ("%" if m.unit == "%" else f" {m.unit}" if m.unit else "")


def duration(seconds: float) -> str:
    """`45s`, `12m05s`, `1h51m`: one form per scale, as a log is read."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
