"""Reports: pages opened in a real headless Chromium, `dse pareto` output, bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synthetic import make_study

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def dse(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=os.environ.copy())


@pytest.fixture
def study_dir(tmp_path):
    make_study(f"sqlite:///{tmp_path}/studies/dse.db", n=40)
    return tmp_path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
    return page, errors, requests


@pytest.mark.browser
def test_report_pages_render_in_chromium(study_dir, browser):
    r = dse("report", "--study", "synthetic", cwd=study_dir)
    assert r.returncode == 0, r.stderr
    folder = study_dir / "reports" / "synthetic"
    ARTIFACTS.mkdir(exist_ok=True)
    expected_plots = {"pareto.html": 4, "history.html": 1, "parameters.html": 2,
                      "trial-00003.html": 1}
    for name, n_plots in expected_plots.items():
        page, errors, requests = open_page(browser, folder / name)
        divs = page.locator(".plotly-graph-div")
        assert divs.count() == n_plots, name
        for i in range(n_plots):  # every plot drew something
            assert divs.nth(i).locator(".main-svg").count() > 0
            drawn = divs.nth(i).evaluate(
                "d => d.querySelectorAll('path, .point, canvas, .trace').length")
            assert drawn > 0, (name, i)
        assert errors == [], (name, errors)
        assert all(u.startswith("file://") for u in requests), requests  # nothing online
        page.screenshot(path=str(ARTIFACTS / f"report-{name.removesuffix('.html')}.png"),
                        full_page=True)
        page.close()
    page, _, _ = open_page(browser, folder / "pareto.html")
    assert page.locator(".scatterlayer .point").count() >= 40  # trials and papers' points
    page.locator("#p2d-size_mb").scroll_into_view_if_needed()
    x, y = page.evaluate("""() => {  // pixel position of the first Pareto-front point
        const d = document.getElementById('p2d-size_mb'), r = d.getBoundingClientRect();
        const k = d.data.findIndex(t => t.name.startsWith('Pareto front'));
        const xa = d._fullLayout.xaxis, ya = d._fullLayout.yaxis;
        const pt = d.calcdata[k][0];
        return [r.left + xa._offset + xa.c2p(pt.x), r.top + ya._offset + ya.c2p(pt.y)]; }""")
    page.mouse.move(x, y)  # a real pointer over a front point (the drag layer is on top)
    page.wait_for_selector("#p2d-size_mb .hoverlayer .hovertext")
    text = page.locator("#p2d-size_mb .hoverlayer").text_content()
    assert "trial" in text and "MB" in text and "sgd lr=" in text
    page.screenshot(path=str(ARTIFACTS / "report-pareto-hover.png"))
    page.mouse.click(x, y)
    page.wait_for_url("**/trial-*.html")
    assert page.locator("h1").inner_text().startswith("trial ")
    page.close()


def test_pareto_json_and_csv(study_dir):
    r = dse("pareto", "--study", "synthetic", "--json", cwd=study_dir)
    assert r.returncode == 0, r.stderr
    front = json.loads(r.stdout)
    assert 1 <= len(front) < 36
    assert {"trial", "model", "accuracy", "size_mb", "epoch_time_s"} <= set(front[0])
    # on the front, more accuracy always costs size or epoch time
    for a in front:
        for b in front:
            if a["accuracy"] > b["accuracy"]:
                assert a["size_mb"] > b["size_mb"] or a["epoch_time_s"] > b["epoch_time_s"]
    r = dse("pareto", "--study", "synthetic", "--csv", "--objectives", "accuracy,size_mb",
            cwd=study_dir)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and {"trial", "model", "accuracy", "size_mb"} <= set(rows[0])
    by_size = sorted(rows, key=lambda row: float(row["size_mb"]))
    accs = [float(row["accuracy"]) for row in by_size]
    # on a 2-D front, every step up in size buys strictly more accuracy
    assert accs == sorted(accs) and len(set(accs)) == len(accs)
    assert (study_dir / "reports" / "synthetic" / "pareto.html").is_file()
    # the projection has its own page; the study's own pareto.html is not overwritten
    assert (study_dir / "reports" / "synthetic" / "pareto-accuracy-size_mb.html").is_file()


def test_unknown_and_empty_studies(tmp_path):
    url = f"sqlite:///{tmp_path}/studies/dse.db"
    make_study(url, name="real", n=3)
    import optuna

    from dse.store import Store

    optuna.create_study(study_name="empty", storage=Store(url).optuna,
                        directions=["maximize", "minimize"])
    r = dse("pareto", "--study", "nope", cwd=tmp_path)
    assert r.returncode == 2 and "empty, real" in r.stderr and "Traceback" not in r.stderr
    r = dse("pareto", "--study", "empty", cwd=tmp_path)
    assert r.returncode == 2 and "no completed trials" in r.stderr
    (tmp_path / "elsewhere").mkdir()
    r = dse("pareto", "--study", "x", cwd=tmp_path / "elsewhere")
    assert r.returncode == 2 and "no study store" in r.stderr


def test_watch_regenerates_with_auto_refresh(study_dir):
    proc = subprocess.Popen([sys.executable, "-m", "dse.cli", "report", "--study",
                             "synthetic", "--watch", "--interval", "2"], cwd=study_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        index = study_dir / "reports" / "synthetic" / "trials.html"
        deadline = time.time() + 120
        while not index.exists() and time.time() < deadline:
            time.sleep(0.5)
        assert 'http-equiv="refresh" content="2"' in index.read_text()
        make_study(f"sqlite:///{study_dir}/studies/dse.db", name="synthetic2", n=1)
        first = index.stat().st_mtime
        while index.stat().st_mtime == first and time.time() < deadline:
            time.sleep(0.5)
        assert index.stat().st_mtime > first  # regenerated while running
    finally:
        proc.terminate()
        proc.wait(timeout=30)
