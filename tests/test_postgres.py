"""Many workers sharing one study in a real PostgreSQL server; dead workers' trials retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import optuna
import pytest

from dse.report.data import load_study_frame
from dse.store import Store

pytestmark = pytest.mark.postgres


def worker(*args, cwd, env=None):
    return subprocess.Popen([sys.executable, "-m", "dse.cli", "run", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})


def test_four_workers_share_one_study(tmp_path, data_dir, pg_url):
    # started together, the workers enqueue the space's baselines once (the first takes the
    # store's advisory lock); each worker then runs its 2 trials, baselines first
    common = ["--space", "hps_cifar10", "--fidelity", "smoke", "--trials", "2", "--device",
              "cpu", "--storage", pg_url, "--data-dir", str(data_dir)]
    procs = [worker(*common, "--seed", str(seed), cwd=tmp_path) for seed in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    study = optuna.load_study(study_name="hps", storage=pg_url)
    assert sorted(t.number for t in study.trials) == list(range(8))
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in study.trials)
    baselines = [t.user_attrs["baseline"] for t in study.trials if "baseline" in t.user_attrs]
    assert baselines and len(baselines) == len(set(baselines)), baselines
    recs = Store(pg_url).trials("hps")
    assert sorted(r.number for r in recs) == list(range(8))  # no duplicate, no lost trial


SLOW = textwrap.dedent("""
    name: slow
    study: slow
    objectives: [accuracy, size_mb]
    sampler: random
    model: {name: hps-06-0.5x}
    training: {batch_size: 64}
    fidelities:
      slow: {epochs: 6, train_images: 1000, val_images: 200, latency_repeats: 2}
    default_fidelity: slow
""")


def test_dead_worker_trial_is_failed_by_heartbeat_and_retried(tmp_path, data_dir, pg_url):
    (tmp_path / "slow.yaml").write_text(SLOW)
    env = {"DSE_HEARTBEAT": "1,3"}
    args = ["--space", "slow.yaml", "--trials", "1", "--device", "cpu", "--storage", pg_url,
            "--data-dir", str(data_dir)]
    store = Store(pg_url)
    victim = worker(*args, cwd=tmp_path, env=env)
    deadline = time.time() + 300
    while time.time() < deadline:  # wait until the victim has trained an epoch
        recs = store.trials("slow") if "slow" in store.study_names() else []
        if recs and store.epochs([recs[0].id]):
            break
        assert victim.poll() is None, victim.communicate()[1]
        time.sleep(0.5)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    time.sleep(4)  # longer than the grace period
    rescuer = worker(*args, cwd=tmp_path, env=env)
    _, err = rescuer.communicate(timeout=600)
    assert rescuer.returncode == 0, err
    study = optuna.load_study(study_name="slow", storage=pg_url)
    first, retry = study.trials[0], study.trials[1]
    assert first.state.name == "FAIL"
    assert retry.state.name == "COMPLETE" and retry.params == first.params
    assert optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(retry) == 0
    frame = load_study_frame("slow", pg_url)
    assert frame.set_index("trial").loc[0, "status"] == "failed"
    (dead,) = [r for r in store.trials("slow") if r.number == 0]  # dse's own row follows
    assert dead.status == "failed" and "no heartbeat" in dead.reason


def test_workers_starting_together_create_the_schema_once(postgres, tmp_path):
    """Four processes import dse, say they are ready, and wait at a barrier (a file the test
    writes once all are ready) before opening a fresh database together: every one
    succeeds and the schema exists once (one schema-version row, one Optuna version row)."""
    opener = ("import sys, time\nfrom pathlib import Path\nfrom dse.store import Store\n"
              "folder = Path(sys.argv[2])\n(folder / f'ready-{sys.argv[3]}').touch()\n"
              "while not (folder / 'go').exists(): time.sleep(0.001)\n"
              "Store(sys.argv[1]).optuna\n")
    for round_ in range(3):  # fresh databases; all openers released at the same instant
        url = postgres.create_database(f"race_{round_}")
        folder = tmp_path / f"round-{round_}"
        folder.mkdir()
        procs = [subprocess.Popen([sys.executable, "-c", opener, url, str(folder), str(i)],
                                  stderr=subprocess.PIPE, text=True) for i in range(4)]
        while len(list(folder.glob("ready-*"))) < 4:  # every process has imported dse
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.01)
        (folder / "go").touch()
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        from sqlalchemy import create_engine, text

        with create_engine(url).connect() as conn:
            versions = conn.execute(text("SELECT count(*) FROM dse_meta WHERE key = "
                                         "'schema_version'")).scalar()
            alembic = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar()
        assert versions == 1 and alembic == 1, (versions, alembic)


def test_machines_confirming_together_train_each_run_once_and_outlive_a_crash(
        tmp_path, data_dir, pg_url):
    """Two `dse confirm` processes on one PostgreSQL store ask for the same runs; one is
    killed (kill -9) while it trains. The other trains its own runs, then takes over the
    dead one's run and ends with every run stored once."""
    r = worker("--space", "hps_cifar10", "--fidelity", "smoke", "--trials", "1", "--device",
               "cpu", "--storage", pg_url, "--data-dir", str(data_dir), cwd=tmp_path)
    _, err = r.communicate(timeout=600)
    assert r.returncode == 0, err
    args = [sys.executable, "-m", "dse.cli", "confirm", "--study", "hps", "--top", "0",
            "--baseline", "hps-06-0.5x", "--seeds", "0,1,2", "--epochs", "2",
            "--train-images", "600", "--device", "cpu", "--storage", pg_url, "--data-dir",
            str(data_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DSE_HEARTBEAT": "1,30", "COLUMNS": "200"}
    procs = [subprocess.Popen(args, cwd=tmp_path / d, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
             for d in ("a", "b") if (tmp_path / d).mkdir() is None]
    victim, survivor = procs
    store = Store(pg_url)
    deadline = time.time() + 300

    def victims_run():
        return [c.seed for c in store.confirmations("hps") if c.status == "running"
                and (c.owner or "").endswith(f":{victim.pid}")]

    while not victims_run():
        assert time.time() < deadline and victim.poll() is None, victim.communicate()
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    (lost,) = victims_run()  # the run the victim was training when it died
    out, err = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, err
    runs = {c.seed: c for c in store.confirmations("hps")}
    assert sorted(runs) == [0, 1, 2] and all(c.status == "complete" for c in runs.values())
    assert runs[lost].owner.endswith(f":{survivor.pid}"), out  # taken over, trained again
    assert "waiting for" in out or all(c.owner.endswith(f":{survivor.pid}")
                                       for c in runs.values()), out
