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


def _contract(index: int) -> list[str]:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = cfg["contracts"][index]
    return [m.strip() for layer in contract["layers"] for m in layer.split("|")]


def _modules(package: Path) -> set[str]:
    top = {p.stem for p in package.glob("*.py") if p.stem not in ("__init__",)}
    return top | {p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def test_the_layers_contract_lists_every_module_of_dse():
    assert {f"dse.{m}" for m in _modules(ROOT / "dse")} == set(_contract(0))


def test_the_search_contract_lists_every_module_of_dse_search():
    assert _modules(ROOT / "dse" / "search") == set(_contract(1))


def test_the_layers_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    r = subprocess.run([exe], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "2 kept, 0 broken" in r.stdout, r.stdout + r.stderr


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("dse", include_external_packages=False,
                              exclude_type_checking_imports=False)  # those count too
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


def _function_level_imports(path: Path) -> tuple[list[int], set[int]]:
    """Line numbers of imports inside functions, and every line any import statement spans."""
    import ast

    tree = ast.parse(path.read_text())
    inner = sorted({sub.lineno for node in ast.walk(tree)
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                    for sub in ast.walk(node) if isinstance(sub, ast.Import | ast.ImportFrom)})
    spans = {n for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
             for n in range(node.lineno, node.end_lineno + 1)}
    return inner, spans


def test_every_function_level_import_says_why():
    """A function-level import carries a `# lazy: reason` comment, on its line or above it (a
    group of consecutive imports shares one); dse/cli's commands included, which import
    their work when run so that `dse --help` loads neither torch nor optuna (next test)."""
    missing = []
    for path in (ROOT / "dse").rglob("*.py"):
        lines = path.read_text().splitlines()
        inner, spans = _function_level_imports(path)
        for n in inner:
            if "# lazy: " in lines[n - 1]:
                continue
            above = n - 1  # 1-based line above; skip the group's earlier imports
            while above in spans:
                above -= 1
            if above < 1 or not lines[above - 1].lstrip().startswith("# lazy: "):
                missing.append(f"{path.relative_to(ROOT)}:{n}")
    assert not missing, missing


def test_the_command_line_starts_without_torch_or_optuna():
    code = ("import sys, dse.cli; heavy = [m for m in ('torch', 'optuna', 'plotly', 'onnx', "
            "'scipy') if m in sys.modules]; print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_commands_that_read_a_store_do_not_load_torch():
    """`dse pareto`, `report`, `show`, `studies`, `compare`'s statistics read stored numbers:
    torch (~1.5-5 s to import) stays out of their path, metric names included."""
    code = ("import sys, dse.report.build, dse.report.data, dse.confirmed, dse.metrics; "
            "print([m for m in ('torch', 'torchvision', 'onnxruntime') if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
