"""`dse frontier`: every confirmed model of some studies beside the papers' published ones.

A Markdown table for results/: test accuracy mean ± std over seeds, size, MACs, latency,
epochs, training images and hardware per confirmed candidate and per baseline trained by
dse, then the published 200-epoch figures of the same data set, each labelled with where
it comes from. Single long runs of `dse train` tested on the test set can be listed too
(`--run`). All user-supplied text is written as code spans, never as raw Markdown.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from dse import confirmed, reference
from dse.errors import ConfigError
from dse.models import get_entry
from dse.records import RunResult
from dse.report.data import recipe as recipe_text
from dse.report.data import summary
from dse.store import Store


def _code(text: str) -> str:
    return "`" + str(text).replace("`", "'").replace("|", "/").replace("\n", " ") + "`"


def _study_baselines(frame) -> dict[int, str]:
    """Trial number -> variant name, for a study's baseline trials (the papers' models
    trained as trials of the study), from its frame (`load_study_frame`)."""
    if "baseline" not in frame:
        return {}
    return {int(t): b for t, b in zip(frame["trial"], frame["baseline"], strict=True)
            if isinstance(b, str) and b}


def _groups(store: Store, study: str, named: dict[int, str]) -> list[dict]:
    """Complete confirmation runs of a study grouped by (trial, epochs, training images);
    `named`: its baseline trials' variant names."""
    out = []
    for (number, epochs, images), runs in confirmed.groups(store, study).items():
        first = runs[0]
        g = {"study": study, "number": number, "baseline": named.get(number), "epochs": epochs,
             "train_images": images, "candidate": first.candidate,
             "accs": [r.test_accuracy for r in runs],
             "measurements": dict(first.measurements or {}),
             "hardware": [r.hardware or {} for r in runs]}
        latencies = [r.measurements["latency_ms"] for r in runs
                     if (r.measurements or {}).get("latency_ms") is not None]
        if latencies:  # the median over the runs: each was timed once, at its end
            g["measurements"]["latency_ms"] = statistics.median(latencies)
        out.append(g)
    return out


def load_run(folder: Path, label: str) -> dict:
    """A finished `dse train` run (its folder's metrics.json) as a row; only a run tested on
    the test set (`--val-size 0`) may stand beside confirmations. `label`: how the row names
    the run (its path as given)."""
    path = folder / "metrics.json" if folder.is_dir() else folder
    try:
        r = RunResult.from_dict(json.loads(path.read_text()))
        done, planned = len(r.history), r.train_config["epochs"]
        split, acc = r.split, r.test_accuracy
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"--run {str(folder)[:200]!r}: no readable metrics.json of a "
                          f"`dse train` run there ({type(exc).__name__}); give the run's "
                          f"output folder.") from None
    if split != "test":
        raise ConfigError(f"--run {str(folder)[:200]!r} reports accuracy on a validation "
                          f"split, not the test set; only runs trained with --val-size 0 "
                          f"are listed beside confirmations.")
    if done < planned:
        raise ConfigError(f"--run {str(folder)[:200]!r} has {done} of its {planned} epochs; "
                          f"list it when it has finished.")
    return {"study": label, "number": None, "baseline": None, "epochs": done,
            "train_images": r.train_images, "candidate": r.candidate.to_dict(),
            "accs": [acc], "measurements": {k: r.measurements.get(k) for k in
                                            ("size_mb", "macs", "latency_ms")},
            "hardware": r.hardware, "recipe": r.train_config, "dataset": r.dataset}


def _hardware(hw: dict | list[dict]) -> str:
    """'CPU (device, N thread(s))'; for a group's runs, each distinct machine once."""
    if isinstance(hw, list):
        return "; ".join(dict.fromkeys(_hardware(h) for h in hw)) or "-"
    if not hw:
        return "-"
    threads = f", {hw['torch_threads']} thread(s)" if hw.get("torch_threads") else ""
    return f"{hw.get('cpu', '?')} ({hw.get('device', 'cpu')}{threads})"


def frontier_markdown(sources: list[tuple[Store, str, object]], dataset: str = "cifar10",
                      command: str = "", runs: list[dict] | None = None) -> str:
    """The whole page as Markdown; `sources`: (store, study name, its `load_study_frame`)
    for each study listed (studies may live in different stores); `runs`: `load_run` rows."""
    rows = [g for store, s, f in sources for g in _groups(store, s, _study_baselines(f))]
    rows += runs or []
    rows.sort(key=lambda g: -statistics.fmean(g["accs"]))
    lines = ["# Confirmed models and the papers' models", ""]
    if command:
        lines += [f"Generated by `{command}`.", ""]
    lines += ["Confirmed rows: trained by `dse confirm` on the training images stated "
              f"({_images(None, dataset)} = the whole training split) and tested on the "
              "test set; accuracy "
              "is the mean ± sample standard deviation over the seeds. Size is dse's "
              "float32 state_dict in MB; MACs per image; latency is eager PyTorch, batch 1, "
              "one thread, timed at the end of each run (median over the runs) on the "
              "hardware named, on whatever else that machine was running then. A `dse train` "
              "row is one run (one seed) with the recipe it names, tested on the test set.",
              "",
              "| model | kind | study / trial | epochs | train images | seeds | test accuracy "
              "(%) | size (MB) | papers' size (MB) | MACs (M) | latency (ms) | hardware |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for g in rows:
        m, cand = g["measurements"], g["candidate"] or {}
        accs = g["accs"]
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        name = g["baseline"] or cand.get("model", {}).get("name", "?")
        if g["number"] is None:  # a `dse train` run
            lines.append(_run_line(g, name, dataset))
            continue
        baseline = g["number"] < 0 or g["baseline"] is not None
        pub = reference.lookup(_paper_name(name), dataset) if baseline else None
        lines.append("| " + " | ".join([
            _code(name if baseline else summary(cand)),
            ("papers' model, trained by dse" if g["number"] < 0 else
             "papers' model, a baseline trial of the study") if baseline
            else "found by the study",
            _code(g["study"]) + ("" if g["number"] < 0 else f" / {g['number']}"),
            str(g["epochs"]), _images(g["train_images"], dataset), str(len(accs)),
            f"{statistics.fmean(accs) * 100:.2f} ± {std * 100:.2f}",
            _num(m.get("size_mb"), ".3f"), _num(pub["size_mb"] if pub else None, ".3f"),
            _num(m["macs"] / 1e6 if m.get("macs") else None, ".2f"),
            _num(m.get("latency_ms"), ".2f"), _hardware(g["hardware"])]) + " |")
    if not rows:
        lines.append("| (no complete confirmation runs yet) |  |  |  |  |  |  |  |  |  |  |  |")
    pub = reference.published(dataset)
    if pub:
        lines += ["", f"Published ({pub[0]['source']}, {dataset}, the papers' 200-epoch "
                  "recipe on a GPU; their sizes are whole-model pickles):", "",
                  "| model | accuracy (%) | size (MB) | epoch time (s) | GPU |",
                  "|---|---|---|---|---|"]
        for r in sorted(pub, key=lambda r: -(r["accuracy_pct"] or 0)):
            lines.append(f"| {_code(r['model'])} | {_num(r['accuracy_pct'], '.2f')} | "
                         f"{_num(r['size_mb'], '.3f')} | {_num(r['epoch_time_s'], '.0f')} | "
                         f"{_code(r.get('gpu') or '-')} |")
    return "\n".join(lines) + "\n"


def _run_line(g: dict, name: str, dataset: str) -> str:
    """A table row for a `dse train` run."""
    m, t = g["measurements"], g["recipe"]
    registered = len(g["candidate"]["model"]) == 1  # a variant by name: the papers' model?
    pub = reference.lookup(_paper_name(name), dataset) if registered else None
    recipe = f"{recipe_text({'train': t})} wd={t.get('weight_decay')}"
    return "| " + " | ".join([
        _code(name if registered else summary(g["candidate"])),
        "one run of `dse train`, " + _code(recipe), _code(g["study"]), str(g["epochs"]),
        _images(g["train_images"], dataset), f"1 (seed {t.get('seed', 0)})",
        f"{g['accs'][0] * 100:.2f}", _num(m.get("size_mb"), ".3f"),
        _num(pub["size_mb"] if pub else None, ".3f"),
        _num(m["macs"] / 1e6 if m.get("macs") else None, ".2f"),
        _num(m.get("latency_ms"), ".2f"), _hardware(g["hardware"])]) + " |"


def _images(count: int | None, dataset: str) -> str:
    """Training images of a run: its count, or the whole split's (CIFAR's 50,000)."""
    if count:
        return f"{count:,}"
    return "50,000" if dataset in ("cifar10", "cifar100") else "all"


def _num(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _paper_name(name: str) -> str | None:

    try:
        return get_entry(name).paper_name
    except Exception:
        return None
