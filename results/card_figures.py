"""Cards written before every card stated its architecture figures and its own int8
measurement: add them, from the committed checkpoint and the card's own numbers.

For each model card under results/ without `measurements` (the exports of `dse train`
checkpoints), the checkpoint named in the card's command is loaded and its parameters,
MACs per image and float32 state_dict size are computed by the functions `dse export`
uses now. Every card whose int8 sentence is the older general one gets it written again
from the latencies the card itself recorded at export, on the CPU it names. Nothing is
timed or re-measured; the ONNX files are not touched. Both forms of each card
(.card.json, .card.md) are rewritten.

    .venv/bin/python results/card_figures.py        (from the repository root)
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from dse.deploy import card as cards
from dse.deploy.export import int8_note
from dse.measure import count_macs, count_params, size_mb
from dse.models.registry import build_config
from dse.train import load_model

REPO = Path(__file__).resolve().parents[1]


def refresh(path: Path) -> bool:
    """Add the figures to one card and write its int8 sentence from its own measurement;
    False when it has both already."""
    card = json.loads(path.read_text())
    q, f32 = card.get("int8"), card.get("float32", {})
    old_note = bool(q) and not str(q.get("order_note", "")).startswith("Measured at export")
    if card.get("measurements") and not old_note:
        return False
    if not card.get("measurements"):
        args = shlex.split(card["command"])
        checkpoint = REPO / args[args.index("--checkpoint") + 1]
        net, _ = load_model(checkpoint, None, card["dataset"])
        card["measurements"] = {"params": count_params(net), "macs": count_macs(net),
                                "size_mb": size_mb(net)}
    if q and q.get("latency") and f32.get("latency"):
        cfg = build_config(card["model"])  # the layer order, from the card's spec
        hw = card.get("hardware", {})
        q["order_note"] = int8_note(cfg,
                                    f32["latency"]["median_ms"], q["latency"]["median_ms"],
                                    cpu=hw.get("cpu", "an unrecorded CPU"),
                                    flags=hw.get("flags"))
    cards.write(card, path.with_name(path.name.removesuffix(".card.json")))
    return True


def main() -> None:
    done = [p for p in sorted(REPO.glob("results/**/*.onnx.card.json")) if refresh(p)]
    for p in done:
        print(f"added figures to {p.relative_to(REPO)}")
    print(f"{len(done)} card(s) refreshed", file=sys.stderr)


if __name__ == "__main__":
    main()
