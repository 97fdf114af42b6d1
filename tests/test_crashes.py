"""Diverging runs and signals: a trial ends with its reason recorded, nothing half-kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import optuna
import pytest
from synthetic import make_study

from dse.store import Store

DIVERGE = textwrap.dedent("""
    name: diverge
    study: diverge
    objectives: [accuracy, size_mb]
    sampler: random
    model: {family: hps, blocks: [1, 1, 1, 1], width: {choices: [0.25, 0.5]}}
    training:
      optimizer: {sgd: {lr: 1.0e+8, momentum: 0.9}}
      batch_size: 64
    fidelities:
      smoke: {epochs: 2, train_images: 320, val_images: 100, latency_repeats: 2}
    default_fidelity: smoke
""")


def test_a_diverging_trial_fails_with_its_reason_and_no_checkpoint(tmp_path, data_dir):
    space = tmp_path / "d.yaml"
    space.write_text(DIVERGE)
    r = subprocess.run([sys.executable, "-m", "dse.cli", "run", "--space", str(space),
                        "--trials", "2", "--device", "cpu", "--data-dir", str(data_dir)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # the study goes on after a diverged trial
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    recs = store.trials("diverge")
    assert len(recs) == 2
    for rec in recs:
        assert rec.status == "failed" and "diverged at epoch 1" in rec.reason, rec.reason
        assert rec.checkpoint is None
    assert not list((tmp_path / "studies" / "diverge").glob("*.pt"))
    study = optuna.load_study(study_name="diverge", storage=store.url)
    assert all(t.state.name == "FAIL" for t in study.trials)  # the sampler sees failures
    r = subprocess.run([sys.executable, "-m", "dse.cli", "pareto", "--study", "diverge"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "no completed trials" in r.stderr


LONG = textwrap.dedent("""
    name: long
    study: long
    objectives: [accuracy, size_mb]
    sampler: random
    model: {family: hps, blocks: [1, 1, 1, 1], width: 0.5}
    training: {batch_size: 64}
    fidelities:
      slow: {epochs: 50, train_images: 2000, val_images: 200, latency_repeats: 2}
    default_fidelity: slow
""")


def _wait_running(url: str, proc, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        assert proc.poll() is None, proc.communicate()
        try:
            recs = Store(url, create=False).trials("long")
            if recs and recs[0].status == "running":
                time.sleep(2)  # inside training
                return
        except Exception:  # noqa: BLE001  (the store is still being created)
            pass
        time.sleep(0.5)
    raise AssertionError("no trial started")


def _interrupt(tmp_path, data_dir, sig: int, code: int, word: str, workers: int = 1,
               sigint=signal.SIG_DFL) -> None:
    space = tmp_path / "long.yaml"
    space.write_text(LONG)
    url = f"sqlite:///{tmp_path}/studies/dse.db"
    proc = subprocess.Popen([sys.executable, "-m", "dse.cli", "run", "--space", str(space),
                             "--trials", str(workers), "--workers", str(workers),
                             "--device", "cpu", "--data-dir", str(data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            # SIG_DFL: as from a terminal (a test runner started in the
                            # background may hand down SIGINT ignored); SIG_IGN: as a
                            # shell's background job (`dse run ... &`)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    _wait_running(url, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (out, err)
    assert word in err and "Traceback" not in err, err
    recs = Store(url).trials("long")
    assert recs and all(r.status == "failed" and r.reason.startswith(
        ("Terminated", "KeyboardInterrupt")) for r in recs), [(r.status, r.reason) for r in recs]
    study = optuna.load_study(study_name="long", storage=url)
    assert all(t.state.name == "FAIL" for t in study.trials)


def test_sigterm_ends_the_trial_with_a_reason_and_exit_143(tmp_path, data_dir):
    _interrupt(tmp_path, data_dir, signal.SIGTERM, 143, "terminated (SIGTERM)")


def test_ctrl_c_ends_the_trial_with_a_reason_and_exit_130(tmp_path, data_dir):
    _interrupt(tmp_path, data_dir, signal.SIGINT, 130, "interrupted")


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_int_reaches_a_background_run(tmp_path, data_dir, workers):
    """`dse run [--workers 2] &` (SIGINT ignored by the shell) still stops on `kill -INT`."""
    _interrupt(tmp_path, data_dir, signal.SIGINT, 130, "interrupted", workers=workers,
               sigint=signal.SIG_IGN)


def test_a_signal_whose_exception_garbage_collection_drops_still_stops_the_command():
    """A SIGTERM handled inside a weakref callback: Python prints and drops the exception
    ("Exception ignored in ..."); dse remembers the signal, stays quiet about the dropped
    exception, and raises it again at the next check (every training batch, every report
    regeneration). Before this, `dse report --watch` could ignore a SIGTERM for ever."""
    script = textwrap.dedent("""
        import os, signal, weakref
        from dse import interrupts
        interrupts.install()
        class A: pass
        def callback(_):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000): pass  # the handler runs here, inside the callback
        a = A(); ref = weakref.ref(a, callback)
        del a
        print("went on", flush=True)
        interrupts.check()
        print("not reached")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=60)
    assert r.stdout == "went on\n"
    assert "Exception ignored" not in r.stderr
    assert r.returncode != 0 and "Terminated: SIGTERM" in r.stderr


def test_report_watch_ends_on_sigterm_with_exit_143(tmp_path):
    make_study(f"sqlite:///{tmp_path}/studies/dse.db", n=5)
    for wait in (1.0, 3.0, 5.0):  # mid-build and mid-sleep
        proc = subprocess.Popen([sys.executable, "-m", "dse.cli", "report", "--study",
                                 "synthetic", "--watch", "--interval", "2"], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(wait)
        proc.terminate()
        assert proc.wait(timeout=30) == 143
        assert "Traceback" not in proc.stderr.read()
