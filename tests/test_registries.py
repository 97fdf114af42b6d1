"""One registration shape for every registry: a decorator with the entry's name, its options
model and keywords, on a class or a function; and a test's registrations are undone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dse import metrics
from dse.registry import Registry

DSE = Path(__file__).resolve().parents[1] / "dse"


def test_no_registry_is_filled_by_hand():
    """Outside dse/registry.py nothing calls `.register(...)` or builds a `Metric(...)` by
    position: entries come through the register_* decorators."""
    found = []
    for path in DSE.rglob("*.py"):
        if path.name == "registry.py" and path.parent == DSE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id == "Metric" and node.args:
                found.append(f"{path.relative_to(DSE)}:{node.lineno} Metric(positional)")
            if isinstance(f, ast.Attribute) and f.attr in ("register", "register_lazy"):
                inside = _enclosing_function(path, node.lineno)
                if not (inside or "").startswith(("register_", "wrap")):
                    found.append(f"{path.relative_to(DSE)}:{node.lineno} .{f.attr}(...)")
    assert not found, found


def _enclosing_function(path: Path, line: int) -> str | None:
    best = None
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.lineno <= line <= node.end_lineno \
                and (best is None or node.lineno > best.lineno):
            best = node
    return best.name if best else None


def test_a_registration_is_undone_after_its_test_part_one():
    @metrics.register_metric("toy_width_probe", direction="minimize", label="probe", unit="",
                             arch=True)
    def _probe(model, ctx) -> float:
        return 0.0

    assert "toy_width_probe" in metrics.names()


@pytest.mark.parametrize("_", [0])
def test_a_registration_is_undone_after_its_test_part_two(_):
    assert "toy_width_probe" not in metrics.names()


def test_snapshot_restores_every_registry():
    restore = Registry.snapshot()
    metrics.register_metric("toy_probe_2", direction="maximize", label="p", unit="",
                            arch=True)(lambda m, c: 1.0)
    assert "toy_probe_2" in metrics.names()
    restore()
    assert "toy_probe_2" not in metrics.names()
