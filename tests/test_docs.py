"""The user guide: README within bounds, the docs build strictly with the CLI reference
generated from the program, and the project speaks of the software, not its history."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADLINE = "| result | found by dse | the papers' model, trained the same way | test |"


def _tracked_markdown() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.split()
    return [REPO / p for p in out if (REPO / p).is_file()]


def test_readme_is_a_short_guide():
    assert len((REPO / "README.md").read_text().splitlines()) <= 200


def _headline_rows(path: Path) -> list[str]:
    """The rows of a page's headline results table, links to result folders written as the
    folder's name in a code span (the docs site cannot link outside docs/)."""
    lines = path.read_text().splitlines()
    start = lines.index(HEADLINE)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(re.sub(r"\(\[(results/[^\]]+)\]\(results/[^)]+/README\.md\)\)",
                           lambda m: f"(`{m.group(1)}/`)", line))
    return rows


def test_the_docs_home_page_gives_the_readme_headline_results():
    assert _headline_rows(REPO / "docs" / "index.md") == _headline_rows(REPO / "README.md")


def test_no_markdown_file_speaks_of_sessions_or_issues():
    """History belongs in CHANGELOG.md by version: no 'session' (onnxruntime's
    InferenceSession aside) and no 'issue N' in the project's Markdown."""
    bad = []
    for path in _tracked_markdown() + list((REPO / "docs").glob("*.md")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            text = line.replace("InferenceSession", "")
            if re.search(r"\bsessions?\b", text, re.I) or re.search(r"\bissues? \d", text, re.I):
                bad.append(f"{path.relative_to(REPO)}:{n}: {line.strip()[:80]}")
    assert not bad, bad


def test_no_tracked_file_speaks_of_sessions_or_issues():
    """Scripts, code comments, spaces, logs and result notes describe the experiment, not
    when or by whom it was done: no session or issue numbers, no word of the current or the
    following working session, in any tracked text file."""
    pattern = r"\bsession [0-9]|\b(this|next|previous|last) session\b|\bissues? [0-9]"
    out = subprocess.run(["git", "grep", "-n", "-I", "-i", "-E", pattern], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr  # 1: nothing found
    assert not out.stdout, out.stdout[:2000]


def test_cli_reference_lists_every_command():
    sys.path.insert(0, str(REPO / "docs" / "hooks"))
    try:
        import cli_reference
    finally:
        sys.path.pop(0)
    import typer.main

    import dse.cli

    text = cli_reference.cli_reference()
    group = typer.main.get_command(dse.cli.app)
    for name in group.commands:  # type: ignore[attr-defined]
        assert f"`dse {name}" in text, name
    assert "--storage" in text and "--epochs" in text


def test_mkdocs_builds_strictly(tmp_path):
    exe = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    proc = subprocess.run([exe, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "cli" / "index.html").is_file()


def test_cli_functions_are_short_and_modules_small():
    """The CLI parses and prints (no function over 40 lines); no module over 300 lines."""
    long = []
    for path in (REPO / "dse").rglob("*.py"):
        lines = path.read_text().splitlines()
        if len(lines) > 300:
            long.append(f"{path.relative_to(REPO)}: {len(lines)} lines")
        if "cli" not in path.relative_to(REPO / "dse").parts:
            continue
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 40:
                long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}")
    assert not long, long


def test_top_level_help_lists_the_journey():
    r = subprocess.run([sys.executable, "-m", "dse.cli", "--help"], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    for command in ("run", "confirm", "compare", "pareto", "report", "export", "deploy",
                    "frontier", "fidelity", "latency-model", "space"):
        assert re.search(rf"^\s+{re.escape(command)}\s", r.stdout, flags=re.M), command
