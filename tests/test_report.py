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

    empty = optuna.create_study(study_name="empty", storage=Store(url).optuna,
                                directions=["maximize", "minimize"])
    empty.set_user_attr("objectives", ["accuracy", "size_mb"])  # dse run crashed before trial 0
    optuna.create_study(study_name="foreign", storage=Store(url).optuna)  # made elsewhere
    r = dse("pareto", "--study", "nope", cwd=tmp_path)
    assert r.returncode == 2 and "empty, foreign, real" in r.stderr
    assert "Traceback" not in r.stderr
    r = dse("pareto", "--study", "empty", cwd=tmp_path)
    assert r.returncode == 2 and "no completed trials" in r.stderr
    for args, code in ((["show", "--study", "empty"], 0), (["report", "--study", "empty"], 0),
                       (["show", "--study", "empty", "--trial", "0"], 2),
                       (["confirm", "--study", "empty", "--epochs", "1"], 2),
                       (["export", "--study", "empty", "--out", "x.onnx"], 2),
                       (["show", "--study", "foreign"], 2)):
        r = dse(*args, cwd=tmp_path)
        assert r.returncode == code and "Traceback" not in r.stderr, (args, r.stderr)
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
        # a trial added to the store while watch runs appears on the page: watch re-reads
        # the store (rewriting the same pages every interval would not show it)
        number = _add_diverged_trial(f"sqlite:///{study_dir}/studies/dse.db")
        link = f"trial-{number:05d}.html"
        assert link not in index.read_text()
        while link not in index.read_text() and time.time() < deadline:
            time.sleep(0.5)
        assert link in index.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _add_diverged_trial(url: str) -> int:
    """A failed trial whose validation loss exploded (2.7e9) before it diverged."""
    import optuna

    from dse.records import Candidate
    from dse.store import Store

    store = Store(url)
    study = optuna.load_study(study_name="synthetic", storage=store.optuna)
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
    number = len(study.trials) - 1
    rid = store.start_trial("synthetic", number, "synthetic", Candidate({"name": "hps"}),
                            "diverged", {"cpu": "synthetic"})
    for e, loss in ((1, 2.1), (2, 2.7e9)):
        store.add_epoch(rid, 0, {"epoch": e, "lr": 10.0, "train_loss": loss, "train_acc": 0.1,
                                 "val_loss": loss, "val_acc": 0.1, "train_s": 1.0,
                                 "eval_s": 0.1, "epoch_s": 1.1, "train_images_per_s": 10.0})
    store.finish_trial(rid, "failed", reason="Diverged: diverged at epoch 3: the training "
                                             "loss is nan; lower the learning rate")
    return number


@pytest.mark.browser
def test_labels_are_readable_and_a_diverged_run_is_marked(study_dir, browser):
    from dse import reference

    number = _add_diverged_trial(f"sqlite:///{study_dir}/studies/dse.db")
    r = dse("report", "--study", "synthetic", cwd=study_dir)
    assert r.returncode == 0, r.stderr
    folder = study_dir / "reports" / "synthetic"
    ARTIFACTS.mkdir(exist_ok=True)

    page, errors, _ = open_page(browser, folder / "pareto.html")

    def overlap(a, b) -> float:
        w = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        h = max(0.0, min(a[4], b[4]) - max(a[2], b[2]))
        return w * h / ((a[3] - a[1]) * (a[4] - a[2]))

    for plot, key in (("p2d-size_mb", "size_mb"), ("p2d-epoch_time_s", "epoch_time_s")):
        published = [p for p in reference.published("cifar10") if p[key] is not None
                     and p["accuracy_pct"] is not None]
        boxes = page.evaluate("""(id) => {
            const d = document.getElementById(id);  // only the papers' points have text
            return Array.from(d.querySelectorAll('.scatterlayer .textpoint text')).map(t => {
                const b = t.getBoundingClientRect();
                return [t.textContent, b.left, b.top, b.right, b.bottom]; }); }""", plot)
        assert sorted(b[0] for b in boxes) == sorted(p["model"] for p in published)
        clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if overlap(a, b) > 0.3]
        assert not clashes, (plot, clashes)
    page.screenshot(path=str(ARTIFACTS / "report-pareto-labels.png"), full_page=True)
    page.close()

    page, errors, _ = open_page(browser, folder / "parameters.html")
    ticks = page.evaluate("""() => Array.from(document.querySelectorAll(
        '#imp .yaxislayer-above .ytick text')).map(t => t.textContent)""")
    assert sorted(ticks) == sorted(["blocks3", "width", "sgd.lr"]), ticks
    page.screenshot(path=str(ARTIFACTS / "report-parameters.png"), full_page=True)
    page.close()

    page, errors, _ = open_page(browser, folder / f"trial-{number:05d}.html")
    layout = page.evaluate("""() => { const d = document.getElementById('curves');
        return [d._fullLayout.yaxis.type, d._fullLayout.title.text]; }""")
    assert layout[0] == "log" and "DIVERGED" in layout[1]
    assert "diverged at epoch 3" in page.content()
    assert errors == []
    page.screenshot(path=str(ARTIFACTS / "report-diverged-trial.png"), full_page=True)
    page.close()


def test_frontier_on_your_own_data_names_no_cifar_counts_or_papers():
    from dse.report.frontier import frontier_markdown  # the page, without a store

    md = frontier_markdown([], "npz:sensor.npz")
    assert "(all = the whole training split)" in md and "Published" not in md
    assert "(50,000 = the whole training split)" in frontier_markdown([], "cifar10")
