"""Model cards beside an exported file: JSON for programs, Markdown for people."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dse.fileio import atomic_write_text


def portable(path: Path, root: Path | None = None) -> dict:
    """A file as a card records it: its path relative to `root` (the working folder) when
    it lies inside it, else its name alone, and its SHA-256, so a card shared elsewhere
    names the file without a machine's home folder and can still be checked against it."""
    path, root = Path(path).resolve(), (root or Path.cwd()).resolve()
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {"file": shown, "sha256": digest.hexdigest()}


def paths(out: Path) -> tuple[Path, Path]:
    """(FILE.card.json, FILE.card.md) beside the exported FILE."""
    return out.with_name(out.name + ".card.json"), out.with_name(out.name + ".card.md")


def write(card: dict, out: Path) -> tuple[Path, Path]:
    """Write both forms of the card."""
    j, m = paths(out)
    atomic_write_text(json.dumps(card, indent=2, default=str), j)
    atomic_write_text(markdown(card), m)
    return j, m


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:.2f} %"


def _lat(d: dict | None) -> str:
    if not d:
        return "-"
    return (f"{d['median_ms']:.3f} ms median, {d['p90_ms']:.3f} ms p90 ({d['runtime']}, "
            f"{d['threads']} thread(s), batch {d['batch']}, {d['runs']:,} runs)")


def markdown(card: dict) -> str:
    """The card for people."""
    f32, q = card.get("float32", {}), card.get("int8")
    v, hw = card.get("versions", {}), card.get("hardware", {})
    q_mb = f"{q['file_mb']:.3f}" if q else "-"
    lines = [
        f"# {card['model']['name']} ({card['format']})", "",
        f"Exported by dse {v.get('dse')} on {card.get('created')} with `{card.get('command')}`.",
        "", "## Model", "",
        f"- architecture: `{json.dumps(card['model'])}`",
        f"- data set: {card['dataset']} ({len(card['classes'])} classes)",
        f"- input: {card['input']['shape']} float32 NCHW; {card['input']['preprocessing']}, "
        f"mean {card['input']['mean']}, std {card['input']['std']}",
    ]
    for key, label in (("params", "parameters"), ("macs", "MACs per image"),
                       ("size_mb", "float32 state_dict size (MB)")):
        if key in card.get("measurements", {}):
            lines.append(f"- {label}: {card['measurements'][key]:,.3f}".rstrip("0").rstrip("."))
    if "training" in card:
        lines.append(f"- training: {card['training']}")
    ck = card.get("checkpoint")
    if isinstance(ck, dict):
        lines.append(f"- trained weights: `{ck['file']}` (SHA-256 {ck['sha256']})")
    lines += ["", "## Accuracy, size and latency (measured at export)", "",
              "| | float32 | int8 |", "|---|---|---|",
              f"| test accuracy (whole test set) | {_pct(f32.get('test_accuracy'))} | "
              f"{_pct(q.get('test_accuracy')) if q else '-'} |",
              f"| file size (MB) | {f32.get('file_mb', 0):.3f} | {q_mb} |",
              f"| latency | {_lat(f32.get('latency'))} | "
              f"{_lat(q.get('latency')) if q else '-'} |", ""]
    if card.get("study_accuracy") is not None:
        epochs = f" ({card['epochs']} epochs)" if card.get("epochs") else ""
        lines.append(f"The study measured {_pct(card['study_accuracy'])} on its validation "
                     f"split at fidelity {card.get('fidelity')}{epochs}.")
    c = card["verification"]
    lines += [f"Verified against PyTorch on {c['images']:,} test images: top-1 agreement "
              f"{c['top1_agreement']:.2%}, largest absolute logit difference "
              f"{c['max_abs_diff']:.2e}.", ""]
    if q:
        lines.append(f"int8: onnxruntime static quantisation, {q['format']}, {q['weights']}, "
                     f"{q['activations']}, {q['calibration']} calibration on "
                     f"{q['calibration_images']:,} training images.")
        if q.get("order_note"):
            lines += ["", q["order_note"]]
    lines += ["", "## Versions and hardware", "",
              f"- {', '.join(f'{k} {val}' for k, val in v.items())}",
              f"- {hw.get('cpu')} ({hw.get('machine')}, {hw.get('cpu_count')} CPUs)", ""]
    return "\n".join(lines)
