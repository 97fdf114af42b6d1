"""The architecture CI enforces: the layers contract covers every module of dse and holds,
and no import cycle exists between any two modules (function-level imports included)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def _contract() -> list[str]:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = cfg["contracts"]
    return [m.strip() for layer in contract["layers"] for m in layer.split("|")]


def test_the_layers_contract_lists_every_module_of_dse():
    top = {p.stem for p in (ROOT / "dse").glob("*.py") if p.stem not in ("__init__",)}
    top |= {p.name for p in (ROOT / "dse").iterdir()
            if p.is_dir() and (p / "__init__.py").exists()}
    assert {f"dse.{m}" for m in top} == set(_contract())


def test_the_layers_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    r = subprocess.run([exe], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "1 kept, 0 broken" in r.stdout, r.stdout + r.stderr


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("dse", include_external_packages=False,
                              exclude_type_checking_imports=True)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cycles.append(path[path.index(n):] + [n] if n in path else [m, n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph.modules):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles[:3]
