"""dse confirm on a real smoke study: retrain, test, resume after an interruption, read the
results back through the CLI and the report; the rank correlation; non-learning trials."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import update

from dse import confirmed
from dse.confirmed import rank_correlation
from dse.store import Store
from dse.store.tables import ConfirmRecord

pytestmark = pytest.mark.slow

SPACE = textwrap.dedent("""
    name: confirm_test
    study: conf
    objectives: [accuracy, size_mb]
    sampler: grid
    model: {name: {choices: [hps-06-0.5x, hps-08-0.5x, hps-06-0.75x]}}
    training:
      optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
      batch_size: 64
    fidelities:
      smoke: {epochs: 2, train_images: 1500, val_images: 500, latency_repeats: 2}
    default_fidelity: smoke
""")


def dse(*args, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200"}, **kw)


def test_rank_correlation_on_known_values():
    same = rank_correlation([0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.9])
    assert same == {"n": 4, "spearman": 1.0, "kendall": 1.0}
    rev = rank_correlation([0.1, 0.2, 0.3, 0.4], [0.9, 0.7, 0.6, 0.5])
    assert rev["spearman"] == -1.0 and rev["kendall"] == -1.0
    one_swap = rank_correlation([1, 2, 3, 4], [1, 3, 2, 4])
    assert one_swap["spearman"] == pytest.approx(0.8) and one_swap["kendall"] == \
        pytest.approx(4 / 6)
    assert math.isnan(rank_correlation([1, 2], [2, 1])["spearman"])


@pytest.fixture(scope="module")
def study(tmp_path_factory, data_dir):
    root = tmp_path_factory.mktemp("confirm")
    (root / "s.yaml").write_text(SPACE)
    r = dse("run", "--space", "s.yaml", "--trials", "3", "--device", "cpu", "--data-dir",
            str(data_dir), cwd=root)
    assert r.returncode == 0, r.stderr
    return root


@pytest.fixture
def own_study(study, tmp_path):
    """A copy of the module's study for a test that adds confirmations to it, so that no
    test depends on which others ran before it."""
    shutil.copytree(study, tmp_path / "study")
    return tmp_path / "study"


def test_confirm_resumes_after_an_interruption_and_reports(own_study, data_dir):
    study = own_study
    args = ["confirm", "--study", "conf", "--trials", "0,1", "--epochs", "2", "--repeats",
            "2", "--train-images", "2000", "--baseline", "hps-06-0.5x", "--device", "cpu",
            "--data-dir", str(data_dir)]
    proc = subprocess.Popen([sys.executable, "-m", "dse.cli", *args], cwd=study,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    folder = study / "studies" / "conf" / "confirm"
    t0 = time.monotonic()
    while not list(folder.glob("trial-00001-*-s0-*/resume.pt")):  # inside trial 1, seed 0
        assert proc.poll() is None and time.monotonic() - t0 < 300, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "terminated" in err, (out, err)
    store = Store(f"sqlite:///{study}/studies/dse.db")
    before = {(c.number, c.seed): c.status for c in store.confirmations("conf")}
    assert before[(0, 0)] == before[(0, 1)] == "complete" and before[(1, 0)] == "interrupted"

    r = dse(*args, cwd=study)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("already confirmed") == 2 and "continuing at epoch" in r.stdout
    assert "hps-06-0.5x (papers' model, default recipe)" in r.stdout
    runs = store.confirmations("conf")
    assert len(runs) == 6 and all(c.status == "complete" for c in runs)  # nothing twice
    base = [c for c in runs if c.number < 0]
    assert len(base) == 2 and all(c.candidate["model"] == {"name": "hps-06-0.5x"} for c in base)
    assert all(len(c.curves) == 2 and 0 <= c.test_accuracy <= 1 for c in runs)
    assert not list(folder.glob("*/resume.pt"))

    r = dse("show", "--study", "conf", "--trial", "1", cwd=study)
    detail = json.loads(r.stdout)
    assert len(detail["confirmations"]) == 2 and "test_accuracy" in detail
    r = dse("pareto", "--study", "conf", "--json", cwd=study)
    rows = {row["trial"]: row for row in json.loads(r.stdout)}
    confirmed = [row for row in rows.values() if row.get("test_accuracy") is not None]
    assert confirmed and all(row["test_accuracy_std"] >= 0 for row in confirmed)
    r = dse("report", "--study", "conf", cwd=study)
    assert r.returncode == 0, r.stderr
    page = (study / "reports" / "conf" / "confirmed.html").read_text()
    assert "does the proxy ranking hold?" in page and "confirmed test accuracy" in page
    index = (study / "reports" / "conf" / "index.html").read_text()
    assert "2 trials confirmed" in index and "baseline hps-06-0.5x" in index
    assert "the papers' models, trained the same way" in page
    r = dse("frontier", "--study", "conf", "--out", "results/frontier.md", cwd=study)
    assert r.returncode == 0, r.stderr
    md = (study / "results" / "frontier.md").read_text()
    accs = [c.test_accuracy for c in runs if c.number < 0]  # as stored (fractions)
    assert f"{statistics.fmean(accs) * 100:.2f} ± {statistics.stdev(accs) * 100:.2f}" in md
    assert "`hps-06-0.5x` | papers' model, trained by dse" in md and "| 0.370 |" in md
    assert "2,000" in md and "HPS-21-1x-v3" in md  # training images; the published rows

    # the confirmed model (not the study's proxy) goes to the device
    r = dse("export", "--study", "conf", "--confirmed", "--out", "best.onnx", "--data-dir",
            str(data_dir), cwd=study)
    assert r.returncode == 0, r.stderr
    card = json.loads((study / "best.onnx.card.json").read_text())
    trial = max((c for c in runs if c.number >= 0), key=lambda c: c.test_accuracy).number
    seed0 = next(c for c in runs if c.number == trial and c.seed == 0)  # the one exported
    assert card["trial"] == trial and "dse confirm, seed 0" in card["training"]
    assert card["float32"]["test_accuracy"] == pytest.approx(seed0.test_accuracy, abs=2e-4)


def _whole(out: str) -> None:
    """No cell cropped, no row wrapped, no progress bar: what a log must look like."""
    assert "…" not in out, out
    assert not re.search(r"━+\s+\d+/\d+", out), out  # a bar followed by 12/345
    rows = [line for line in out.splitlines() if line.startswith(("┃", "│"))]
    assert rows and len({line.count("│") + line.count("┃") for line in rows}) == 1, out


def test_output_through_a_pipe_is_whole(own_study, data_dir):
    """`dse run`, `dse confirm` and `dse pareto` into a pipe (no COLUMNS: as under nohup,
    tee or CI) print whole tables and sentences, and no progress bars."""
    study = own_study
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}

    def piped(*args):
        r = subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                           text=True, cwd=study, env=env)
        assert r.returncode == 0, r.stderr
        return r.stdout

    out = piped("confirm", "--study", "conf", "--trials", "0", "--epochs", "1",
                "--train-images", "500", "--baseline", "hps-06-0.5x", "--device", "cpu",
                "--data-dir", str(data_dir))
    _whole(out)
    assert re.search(r"\d+\.\d\d ± \d+\.\d\d", out) or re.search(r"\d+\.\d\d %", out)
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert epochs and all(line.endswith("img/s") for line in epochs), out  # not wrapped
    out = piped("pareto", "--study", "conf")
    _whole(out)
    assert "test_accuracy (%)" in out  # a confirmed figure beside the proxy's
    out = piped("run", "--space", "s.yaml", "--study", "conf-pipe", "--trials", "1",
                "--device", "cpu", "--data-dir", str(data_dir))
    assert not re.search(r"━+\s+\d+/\d+", out) and "…" not in out, out


def test_confirm_mistakes_are_clear(study):
    r = dse("confirm", "--study", "conf", "--trials", "7", "--epochs", "1", cwd=study)
    assert r.returncode == 2 and "not completed trials" in r.stderr
    r = dse("confirm", "--study", "conf", "--trials", "x", "--epochs", "1", cwd=study)
    assert r.returncode == 2 and "--trials takes numbers" in r.stderr
    r = dse("confirm", "--study", "conf", "--top", "0", "--epochs", "1", cwd=study)
    assert r.returncode == 2 and "only the --baseline models" in r.stderr
    r = dse("confirm", "--study", "conf", "--trials", "0", "--seeds", "1,x", cwd=study)
    assert r.returncode == 2 and "--seeds takes seeds" in r.stderr


def test_top_0_and_seeds_split_a_confirmation_between_processes(own_study, data_dir):
    """Another process can confirm the baselines, or a seed, while one confirms the rest."""
    study = own_study
    r = dse("confirm", "--study", "conf", "--top", "0", "--baseline", "hps-06-0.5x",
            "--seeds", "3", "--epochs", "1", "--train-images", "100", "--device", "cpu",
            "--data-dir", str(data_dir), cwd=study)
    assert r.returncode == 0, r.stderr
    runs = [c for c in Store(f"sqlite:///{study}/studies/dse.db").confirmations("conf")
            if c.train_images == 100]
    assert len(runs) == 1 and runs[0].number < 0  # the baseline (negative number) alone
    assert runs[0].seed == 3  # --seeds: exactly the seeds asked for


def test_a_baseline_keeps_the_number_its_study_stored_it_under(own_study, data_dir):
    """Older versions numbered a baseline by the registry's order, which grows: a seed added
    later joins the variant's stored number, and runs split over two numbers group as one."""
    study, db = own_study, f"sqlite:///{own_study}/studies/dse.db"
    args = ["confirm", "--study", "conf", "--top", "0", "--baseline", "hps-06-0.5x",
            "--epochs", "1", "--train-images", "100", "--device", "cpu",
            "--data-dir", str(data_dir)]
    assert dse(*args, "--seeds", "6", cwd=study).returncode == 0
    store = Store(db)
    first, = [c for c in store.confirmations("conf") if c.train_images == 100]
    with store.session() as s, s.begin():  # as an older version numbered it
        s.execute(update(ConfirmRecord).where(ConfirmRecord.id == first.id).values(number=-5))
    r = dse(*args, "--seeds", "7", cwd=study)
    assert r.returncode == 0, r.stderr
    runs = [c for c in store.confirmations("conf") if c.train_images == 100]
    assert sorted((c.seed, c.number) for c in runs) == [(6, -5), (7, -5)]
    with store.session() as s, s.begin():  # split over two numbers, as an old store may be
        s.execute(update(ConfirmRecord).where(ConfirmRecord.seed == 7,
                                              ConfirmRecord.train_images == 100).values(number=-9))
    groups = {k: [c.seed for c in v] for k, v in confirmed.groups(store, "conf").items()
              if k[2] == 100}
    assert groups == {(-5, 1, 100): [6, 7]}
    again = dse(*args, "--seeds", "6,7", cwd=study)  # each run found where it is stored
    assert again.returncode == 0 and again.stdout.count("already confirmed") == 2, again.stdout
    assert "training 1 epochs" not in again.stdout


def test_a_run_another_study_completed_is_copied_not_trained(own_study, data_dir):
    """Two studies of one store confirming the same candidate (here the baseline) at the same
    epochs, seed and images: the second copies the first's run, naming it, unless told
    --no-reuse."""
    study = own_study
    r = dse("run", "--space", "s.yaml", "--study", "conf2", "--trials", "1", "--device", "cpu",
            "--data-dir", str(data_dir), cwd=study)
    assert r.returncode == 0, r.stderr
    same = ["--top", "0", "--baseline", "hps-06-0.5x", "--epochs", "1", "--train-images", "200",
            "--device", "cpu", "--data-dir", str(data_dir)]
    first = dse("confirm", "--study", "conf", *same, "--seeds", "4,5", cwd=study)
    assert first.returncode == 0 and first.stdout.count("training 1 epochs") == 2, first.stderr
    second = dse("confirm", "--study", "conf2", *same, "--seeds", "4", cwd=study)
    assert second.returncode == 0, second.stderr
    assert "training 1 epochs" not in second.stdout, second.stdout
    assert "trained by study 'conf'" in second.stdout, second.stdout
    store = Store(f"sqlite:///{study}/studies/dse.db")
    a = next(c for c in store.confirmations("conf") if c.train_images == 200 and c.seed == 4)
    b, = [c for c in store.confirmations("conf2") if c.train_images == 200]
    assert (b.test_accuracy, b.curves, b.number) == (a.test_accuracy, a.curves, a.number)
    assert b.reason.startswith("trained by study 'conf'") and b.status == "complete"
    again = dse("confirm", "--study", "conf2", *same, "--seeds", "5", "--no-reuse", cwd=study)
    assert again.returncode == 0 and "training 1 epochs" in again.stdout, again.stdout


def test_processes_confirming_the_same_runs_train_each_once(own_study, data_dir):
    """Two `dse confirm` processes started together on the same runs (as two machines on one
    store would be) share them: each run is trained once, and the process left without
    work waits until the other has stored its runs, so both print every result."""
    study = own_study
    args = [sys.executable, "-m", "dse.cli", "confirm", "--study", "conf", "--trials", "0,1",
            "--seeds", "0,1", "--epochs", "1", "--train-images", "300", "--device", "cpu",
            "--data-dir", str(data_dir)]
    env = {**os.environ, "COLUMNS": "200", "DSE_HEARTBEAT": "1,20", "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(args, cwd=study, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    trained = sum(out.count("training 1 epochs") for out, _ in outs)
    assert trained == 4, outs  # 2 trials x 2 seeds, each once
    runs = [c for c in Store(f"sqlite:///{study}/studies/dse.db").confirmations("conf")
            if c.train_images == 300]
    assert len(runs) == 4 and all(c.status == "complete" for c in runs)
    tables = [out[out.index("confirmed in all"):] for out, _ in outs]
    assert tables[0] == tables[1] and "±" in tables[0], tables  # both end with all four runs


def test_a_trial_that_does_not_learn_stays_off_the_front(tmp_path, data_dir):
    (tmp_path / "s.yaml").write_text(SPACE.replace("lr: 0.05", "lr: 1.0e-9")
                                     .replace("study: conf", "study: flat"))
    r = dse("run", "--space", "s.yaml", "--trials", "2", "--device", "cpu", "--data-dir",
            str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    recs = Store(f"sqlite:///{tmp_path}/studies/dse.db").trials("flat")
    assert all("did not learn" in (rec.reason or "") for rec in recs), [r.reason for r in recs]
    r = dse("pareto", "--study", "flat", "--json", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_frontier_names_every_machine_a_group_of_runs_used():
    from dse.report.frontier import _hardware

    amd = {"cpu": "AMD EPYC", "device": "cpu", "torch_threads": 1}
    intel = {"cpu": "Intel Xeon", "device": "cpu", "torch_threads": 1}
    both = "AMD EPYC (cpu, 1 thread(s)); Intel Xeon (cpu, 1 thread(s))"
    assert _hardware([amd, intel, amd]) == both
    assert _hardware([]) == "-" and _hardware({}) == "-"


def test_an_export_whose_checkpoint_is_on_another_machine_trains_it_again(own_study, data_dir):
    """A store carried to a new machine without its confirm folder (a stop continued
    elsewhere, a shared PostgreSQL store): `dse export --confirmed` says so and how to fix
    it, exit 2, nothing written; with --rebuild it trains the lowest seed again here, the
    card says so, the stored figures stay; a second export reuses that checkpoint."""
    study = own_study
    args = ["--study", "conf", "--trials", "0", "--epochs", "1", "--train-images", "300",
            "--device", "cpu", "--data-dir", str(data_dir)]
    assert dse("confirm", *args[:-4], "--seeds", "0,1", *args[-4:], cwd=study).returncode == 0
    store = Store(f"sqlite:///{study}/studies/dse.db")
    before = sorted((c.seed, c.test_accuracy) for c in store.confirmations("conf"))
    shutil.move(study / "studies" / "conf" / "confirm", study / "elsewhere")
    export = ["export", "--study", "conf", "--trial", "0", "--confirmed", "--out", "m.onnx",
              "--data-dir", str(data_dir)]
    r = dse(*export, cwd=study)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "not on this machine" in r.stderr and "--rebuild" in r.stderr, r.stderr
    assert not (study / "m.onnx").exists()
    r = dse(*export, "--rebuild", "--device", "cpu", cwd=study)
    assert r.returncode == 0, r.stderr
    assert "training it again here" in r.stderr, r.stderr
    card = json.loads((study / "m.onnx.card.json").read_text())
    assert "seed 0" in card["training"] and "trained again on this machine" in card["training"]
    rebuilt = json.loads(next((study / "studies" / "conf" / "confirm").glob(
        "trial-00000-e1-s0-n300/rebuilt.json")).read_text())
    assert rebuilt["stored_test_accuracy"] == dict(before)[0]
    assert sorted((c.seed, c.test_accuracy) for c in store.confirmations("conf")) == before
    r = dse(*export, cwd=study)  # without --rebuild: the checkpoint trained here is used
    assert r.returncode == 0 and "training it again" not in r.stderr, r.stderr
    card = json.loads((study / "m.onnx.card.json").read_text())  # where the run recorded
    assert "trained again on this machine" in card["training"]  # its own: still said
