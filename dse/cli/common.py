"""What every command shares: the app, the consoles, option types, small parsers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from dse.errors import ConfigError
from dse.train.recipe import DEFAULT_RECIPE

app = typer.Typer(help="Design-space exploration for compact CNNs on CIFAR (HPS, SqueezeNext).",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]})


def make_console(stderr: bool = False, **kwargs) -> Console:
    """A console that never reads user strings as rich markup. On a terminal it wraps to the
    window; into a file or a pipe (logs, CI, tee, nohup) it neither crops nor wraps: tables
    take the width they need and sentences stay on one line."""
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return Console(stderr=stderr, markup=False, **kwargs)
    return Console(stderr=stderr, markup=False, width=LOG_WIDTH, soft_wrap=True, **kwargs)


#: Width of a console writing to a file or a pipe: wider than any table dse prints.
LOG_WIDTH = 1000
console = make_console()
err = make_console(stderr=True, highlight=False)
_R = DEFAULT_RECIPE

DataDir = Annotated[Path | None, typer.Option(
    help="Folder holding cifar-10-batches-bin/-py or cifar-100-python/-binary "
         "[default: $DSE_DATA_DIR, else ./data].")]
Download = Annotated[bool, typer.Option(help="Download with torchvision if files are missing.")]
Device = Annotated[str, typer.Option(help="auto (CUDA if present), cpu, cuda, cuda:N.")]
Dataset = Annotated[str, typer.Option(
    "--data", "--dataset", metavar="SPEC",
    help="The data set: cifar10 or cifar100 (from --data-dir), a .npz file (x_train, y_train, "
         "x_test, y_test), or a folder of class folders (ImageFolder; with train/ and test/, "
         "or a stated hold-out); options after '?', e.g. photos/?size=64&test_fraction=0.2.")]
Compile = Annotated[str, typer.Option(
    help="Compile the training step with torch.compile: auto (on a CPU, for runs of "
         "500,000+ training images, if a probe finds the compiled step right and faster), "
         "on (still checked against an exact evaluation), off.")]
@contextmanager
def progress_callback(description: str) -> Iterator[Callable[[int, int], None]]:
    """A `tick(done, todo)` drawing a transient progress bar on a terminal, and doing
    nothing when output goes to a file or a pipe (logs get no bars)."""
    if not err.is_terminal:
        yield lambda done, todo: None
        return
    # lazy: only a terminal shows a bar
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(description, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(description)
        yield lambda done, todo: bar.update(task, completed=done, total=todo)


Storage = Annotated[str | None, typer.Option(
    help="SQLAlchemy URL of the study store [default: $DSE_STORAGE, else "
         "sqlite:///studies/dse.db].")]


def _kv(pairs: list[str] | None, flag: str) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {pair!r}.")
        key, value = pair.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or "not a value"
            raise ConfigError(f"{flag} {pair[:80]!r}: the value is not a number, word or "
                              f"[list] ({problem}); write e.g. {key.strip()[:40]}=0.1 or "
                              f"{key.strip()[:40]}=[30,60].") from None
    return out


def parse_seeds(seeds: str | None, repeats: int = 1) -> list[int]:
    """--seeds 0,2 -> [0, 2]; without it, 0 to --repeats - 1."""
    if seeds is None:
        return list(range(repeats))
    try:
        out = sorted({int(x) for x in seeds.split(",")})
    except ValueError:
        out = []
    if repeats != 1:
        raise ConfigError("give --seeds or --repeats, not both: --seeds names the seeds.")
    if not out or not all(0 <= x < 1000 for x in out):
        raise ConfigError(f"--seeds takes seeds from 0 to 999 like 0,2, not {seeds[:40]!r}.")
    return out


def parse_ints(text: str | None, flag: str) -> list[int] | None:
    """--trials 3,7,9 -> [3, 7, 9] (None when not given)."""
    if text is None:
        return None
    try:
        return [int(t) for t in text.split(",")]
    except ValueError:
        raise ConfigError(f"{flag} takes numbers like 3,7,9, not {text[:40]!r}.") from None
