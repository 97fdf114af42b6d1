"""Studies through the real CLI on real CIFAR-10 with the SQLite default store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import optuna
import pytest

from dse.records import MEASURED
from dse.search.display import duration
from dse.store import Store


def dse(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})})


def test_run_smoke_twice_grows_the_study_and_optuna_reads_it(tmp_path, data_dir):
    args = ["run", "--space", "hps_cifar10", "--fidelity", "smoke", "--trials", "4",
            "--device", "cpu", "--data-dir", str(data_dir)]
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "studies" / "dse.db").is_file()
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    study = optuna.load_study(study_name="hps", storage=f"sqlite:///{tmp_path}/studies/dse.db")
    assert len(study.trials) == 8
    assert study.directions == [optuna.study.StudyDirection.MAXIMIZE,
                                optuna.study.StudyDirection.MINIMIZE,
                                optuna.study.StudyDirection.MINIMIZE]
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(complete) >= 6
    params = {tuple(sorted(t.params.items())) for t in study.trials}
    assert len(params) == 8  # the second run continued the search, it did not replay it
    for t in complete:
        assert 0.0 <= t.values[0] <= 1.0 and t.values[1] > 0 and t.values[2] > 0
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    recs = store.trials("hps")
    assert len(recs) == 8 and all(r.hardware["cpu"] for r in recs)
    done = [r for r in recs if r.status in MEASURED]
    assert all((tmp_path / r.checkpoint).is_file() for r in done)
    assert len(store.epochs([r.id for r in done])) == len(done)  # one epoch each at smoke
    r = dse("studies", cwd=tmp_path)
    assert r.returncode == 0 and "hps" in r.stdout
    r = dse("show", "--study", "hps", "--trial", str(complete[0].number), cwd=tmp_path)
    assert r.returncode == 0 and '"curves"' in r.stdout and '"size_mb"' in r.stdout
    smallest = min(done, key=lambda r: r.measurements["macs"])  # a Pareto point, exported later
    r = dse("evaluate", "--checkpoint", smallest.checkpoint, "--device", "cpu", "--data-dir",
            str(data_dir), cwd=tmp_path)  # the checkpoint names its own architecture
    assert r.returncode == 0 and "test accuracy" in r.stdout, r.stderr


GRID = textwrap.dedent("""
    name: grid_test
    study: gridtest
    objectives: [accuracy, size_mb]
    constraints: ["size_mb <= 1.0"]
    sampler: grid
    model:
      name: {choices: [hps-06-0.5x, hps-23-1x]}
    training:
      optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
      batch_size: 64
    fidelities:
      smoke: {epochs: 1, train_images: 200, val_images: 100, latency_repeats: 2}
    default_fidelity: smoke
""")


NO_LEARNING = textwrap.dedent("""
    name: no_learning
    study: flat
    objectives: [accuracy, size_mb]
    sampler: random
    model: {family: hps, blocks: [1, 1, 1, 1], width: 0.25, resolution: 0.5}
    training: {optimizer: {sgd: {lr: 1.0e-9}}, batch_size: 64}
    fidelities:
      tiny: {epochs: 1, train_images: 320, val_images: 500, latency_repeats: 2}
    default_fidelity: tiny
""")


def test_a_trial_that_did_not_learn_has_one_status_everywhere(tmp_path, data_dir):
    """The store writes the status; the log, `dse show` and `dse studies` read it."""
    (tmp_path / "flat.yaml").write_text(NO_LEARNING)
    r = dse("run", "--space", "flat.yaml", "--trials", "1", "--device", "cpu",
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    [rec] = Store(f"sqlite:///{tmp_path}/studies/dse.db").trials("flat")
    assert rec.status == "not learned" and rec.reason.startswith("did not learn")
    assert "trial    0 not learned" in r.stdout, r.stdout
    shown = dse("show", "--study", "flat", cwd=tmp_path).stdout
    assert "not learned" in shown, shown  # the status column (Optuna's state: complete)
    studies = dse("studies", cwd=tmp_path).stdout
    assert "not learned" in studies, studies

def test_size_constraint_rejects_before_training(tmp_path, data_dir):
    space = tmp_path / "grid.yaml"
    space.write_text(GRID)
    r = dse("run", "--space", str(space), "--trials", "2", "--device", "cpu", "--workers", "1",
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    recs = {r.candidate["model"]["name"]: r for r in store.trials("gridtest")}
    big, small = recs["hps-23-1x"], recs["hps-06-0.5x"]
    assert big.status == "infeasible" and "size_mb=3.665 violates size_mb <= 1.0" in big.reason
    assert store.epochs([big.id]) == [] and big.checkpoint is None  # never trained
    assert small.status in MEASURED  # trained to the end (maybe not learned at 2 epochs)
    assert len(store.epochs([small.id])) == 1
    # progress is printed during the trial, not only at its end (plain lines: not a tty)
    lines = r.stdout.splitlines()
    started = next(i for i, x in enumerate(lines) if "started: hps-06-0.5x" in x)
    epoch = next(i for i, x in enumerate(lines) if "epoch 1/1:" in x and "img/s" in x)
    ended = next(i for i, x in enumerate(lines) if x.startswith(f"trial {small.number:>4}"))
    assert started < epoch < ended
    study = optuna.load_study(study_name="gridtest", storage=store.url)
    states = {t.params["model"]: t.state.name for t in study.trials}
    assert states == {"hps-23-1x": "COMPLETE", "hps-06-0.5x": "COMPLETE"}
    # the infeasible one is recorded for the sampler as complete with its constraint excess
    excess = {t.params["model"]: t.constraints["size_mb <= 1.0"] for t in study.trials}
    assert excess["hps-23-1x"] == pytest.approx(3.665 - 1.0, abs=1e-3)
    assert excess["hps-06-0.5x"] < 0


def test_same_candidate_is_measured_once(tmp_path, data_dir):
    space = tmp_path / "one.yaml"
    space.write_text(GRID.replace("hps-06-0.5x, hps-23-1x", "hps-06-0.5x")
                     .replace("sampler: grid", "sampler: random"))
    r = dse("run", "--space", str(space), "--trials", "2", "--device", "cpu", "--workers", "1",
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    first, second = store.trials("gridtest")
    assert first.status == second.status and first.status in MEASURED
    assert second.reused_from == first.id and store.epochs([second.id]) == []
    assert second.measurements == first.measurements


def test_a_candidate_another_worker_is_training_is_not_trained_twice(tmp_path, data_dir):
    """Parallel workers that draw the same candidate: the later trial skips it (pruned, with
    the reason) instead of training a duplicate; once the twin is done, it is reused."""
    from dse.search.candidate import sample
    from dse.search.keys import candidate_hash
    from dse.search.space import load_space

    path = tmp_path / "one.yaml"
    path.write_text(GRID.replace("hps-06-0.5x, hps-23-1x", "hps-06-0.5x")
                    .replace("sampler: grid", "sampler: random"))
    space = load_space(str(path))
    cand = sample(space, optuna.trial.FixedTrial({"model": "hps-06-0.5x"}))
    key = candidate_hash(cand, space.fidelities["smoke"], "cifar10", 0)
    url = f"sqlite:///{tmp_path}/studies/dse.db"
    store = Store(url)
    other = store.start_trial("gridtest", 99, "smoke", cand, key, {})  # another worker's
    run = ["run", "--space", str(path), "--trials", "1", "--device", "cpu", "--workers", "1",
           "--data-dir", str(data_dir)]
    r = dse(*run, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (mine,) = [t for t in store.trials("gridtest") if t.number != 99]
    assert mine.status == "pruned" and "being trained by trial 99" in mine.reason
    assert store.epochs([mine.id]) == []
    store.finish_trial(other, "failed", reason="the other worker died")
    r = dse(*run, cwd=tmp_path)  # no twin running any more: trained here
    assert r.returncode == 0, r.stderr
    mine = [t for t in store.trials("gridtest") if t.number != 99]
    assert mine[0].status == "pruned" and mine[1].status in MEASURED


def test_successive_halving_stops_weak_trials(tmp_path, data_dir):
    space = tmp_path / "sh.yaml"
    space.write_text(textwrap.dedent("""
        name: sh
        study: sh
        objectives: [accuracy, size_mb]  # deterministic on CPU, unlike timings
        sampler: random
        model: {family: hps, blocks: [1, 1, 1, 1], width: {choices: [0.25, 0.375, 0.5]},
                activation: {choices: [relu, elu]}}
        training:
          optimizer: {sgd: {lr: {log: [0.001, 0.2]}, momentum: 0.9}}
          batch_size: 64
        fidelities:
          tiny: {epochs: 2, train_images: 200, val_images: 100, latency_repeats: 2,
                 scheduler: {halving: {min_epochs: 1, eta: 2, slack: 0}}}  # stop on any gap
        default_fidelity: tiny
    """))
    r = dse("run", "--space", str(space), "--trials", "6", "--device", "cpu", "--workers", "1",
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    recs = store.trials("sh")
    pruned = [r for r in recs if r.status == "pruned"]
    complete = [r for r in recs if r.status in MEASURED]
    assert pruned and complete and len(pruned) + len(complete) == 6
    assert all("successive halving at rung 0" in r.reason for r in pruned)
    assert all(len(store.epochs([r.id])) == 1 for r in pruned)
    assert all(len(store.epochs([r.id])) == 2 for r in complete if r.reused_from is None)
    study = optuna.load_study(study_name="sh", storage=store.url)
    assert all("rung0" in t.user_attrs for t in study.trials)


REVIVE = textwrap.dedent("""
    name: rv
    study: rv
    objectives: [accuracy, size_mb]
    sampler: random
    model: {family: hps, blocks: [1, 1, 1, 1], width: WIDTH}
    training:
      optimizer: {sgd: {lr: LR, momentum: 0.9}}
      batch_size: 64
    fidelities:
      tiny: {epochs: 2, train_images: 200, val_images: 100, latency_repeats: 2SCHED}
    default_fidelity: tiny
""")


def test_a_stopped_candidate_proposed_again_continues_once_its_rung_has_grown(tmp_path,
                                                                                data_dir):
    """ASHA's late promotion: trial A is stopped at rung 0 (a better trial is there); once
    the rung has grown so that A is among its best 1/eta, the same candidate proposed again
    continues from A's state and ends exactly where training it straight through ends."""
    from optuna.trial import TrialState, create_trial

    space = tmp_path / "rv.yaml"
    space.write_text(REVIVE.replace("WIDTH", "{choices: [0.25, 0.5]}")
                     .replace("LR", "{choices: [0.05, 0.01]}")
                     .replace("SCHED", ",\n         scheduler: {halving: {min_epochs: 1, eta: 2}}"))
    url = f"sqlite:///{tmp_path}/studies/dse.db"
    run = ["run", "--space", str(space), "--trials", "1", "--device", "cpu", "--workers", "1",
           "--data-dir", str(data_dir)]
    assert dse(*run, cwd=tmp_path).returncode == 0  # trial 0: first at rung 0, completes
    study = optuna.load_study(study_name="rv", storage=url)
    x = study.trials[0].params
    a = {"width": x["width"], "sgd.lr": 0.01 if x["sgd.lr"] == 0.05 else 0.05}

    def fake(values: list[float]) -> None:  # another trial's report at rung 0
        study.add_trial(create_trial(state=TrialState.PRUNED, user_attrs={"rung0": values}))
    fake([1.0, 0.0])  # dominates everything: A is not in the best 1 of 3
    study.enqueue_trial(a)
    r = dse(*run, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(url)
    stopped = store.trials("rv")[-1]
    assert stopped.status == "pruned" and "rung 0" in stopped.reason
    state = tmp_path / "studies" / "rv" / "stopped" / f"trial-{stopped.number:05d}.pt"
    assert state.is_file()
    for _ in range(4):  # four worse reports: A is now in the best 3 of 7
        fake([0.0, 1e9])
    study.enqueue_trial(a)
    r = dse(*run, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    revived = store.trials("rv")[-1]
    assert revived.status in MEASURED, revived.reason
    assert f"continued trial {stopped.number} from epoch 1" in revived.reason
    assert optuna.load_study(study_name="rv", storage=url).trials[-1].user_attrs[
        "continues"] == stopped.number
    assert [e.epoch for e in store.epochs([revived.id])] == [2]  # only the epoch it trained
    assert not state.exists() and not list(state.parent.iterdir())
    # the same candidate trained straight through, in another store, without a scheduler
    straight = tmp_path / "straight.yaml"
    straight.write_text(REVIVE.replace("WIDTH", str(a["width"])).replace("LR", str(a["sgd.lr"]))
                        .replace("SCHED", ""))
    url2 = f"sqlite:///{tmp_path}/straight.db"
    r = dse(*run[:2], str(straight), *run[3:], "--storage", url2, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (ref,) = Store(url2).trials("rv")
    last = store.epochs([revived.id])[-1], Store(url2).epochs([ref.id])[-1]
    assert last[0].val_acc == last[1].val_acc and last[0].val_loss == last[1].val_loss
    assert revived.measurements["accuracy"] == ref.measurements["accuracy"]


def test_successive_halving_decides_on_the_mean_of_repeats(tmp_path, data_dir):
    space = tmp_path / "shr.yaml"
    space.write_text(textwrap.dedent("""
        name: shr
        study: shr
        objectives: [accuracy, size_mb]
        sampler: random
        model: {family: hps, blocks: [1, 1, 1, 1], width: {choices: [0.25, 0.375, 0.5]}}
        training:
          optimizer: {sgd: {lr: {log: [0.001, 0.2]}, momentum: 0.9}}
          batch_size: 64
        fidelities:
          tiny: {epochs: 2, repeats: 2, train_images: 200, val_images: 100,
                 latency_repeats: 2, scheduler: {halving: {min_epochs: 1, eta: 2, slack: 0}}}
        default_fidelity: tiny
    """))
    r = dse("run", "--space", str(space), "--trials", "5", "--device", "cpu", "--workers", "1",
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    recs = [r for r in store.trials("shr") if r.reused_from is None]
    pruned = [r for r in recs if r.status == "pruned" and "not trained again" not in r.reason]
    complete = [r for r in recs if r.status in MEASURED]
    assert pruned and complete
    assert all("on the mean of 2 repeats" in r.reason for r in pruned)
    for rec, epochs in [(r, 1) for r in pruned] + [(r, 2) for r in complete]:
        rows = store.epochs([rec.id])
        assert sorted((e.repeat, e.epoch) for e in rows) == [
            (k, e) for k in (0, 1) for e in range(1, epochs + 1)]
    assert all(r.measurements["repeats"] == 2 and "accuracy_std" in r.measurements
               for r in complete)
    assert not list((tmp_path / "studies" / "shr").glob("*repeats*"))  # no resume files left


@pytest.mark.parametrize("args,needle,code", [
    (["--storage", "postgresql+psycopg2://dse:x@127.0.0.1:9/none"], "cannot be used", 2),
    (["--fidelity", "enormous"], "has no fidelity 'enormous'", 2),
    (["--space", "no_such_space"], "unknown search space", 2),
    (["--workers", "lots"], "--workers is a number from 1 to 64 or auto", 2),
])
def test_run_mistakes_are_clear_and_write_nothing(tmp_path, data_dir, args, needle, code):
    base = {"--space": "hps_cifar10", "--trials": "1", "--data-dir": str(data_dir)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    r = dse("run", *[x for kv in base.items() for x in kv], cwd=tmp_path)
    assert r.returncode == code and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "studies" / "dse.db").exists()


def test_run_without_data_writes_no_store(tmp_path):
    r = dse("run", "--space", "hps_cifar10", "--trials", "1", "--data-dir",
            str(tmp_path / "nowhere"), cwd=tmp_path)
    assert r.returncode == 2 and "cifar-10-batches-bin" in r.stderr
    assert not (tmp_path / "studies").exists()


ORT = textwrap.dedent("""
    name: ort
    study: a
    objectives: [accuracy, ort_latency_ms]
    constraints: ["ort_int8_latency_ms <= 1000"]
    sampler: grid
    model: {name: {choices: [hps-06-0.5x]}}
    training: {batch_size: 64}
    fidelities:
      smoke: {epochs: 1, train_images: 200, val_images: 100, latency_repeats: 5}
    default_fidelity: smoke
""")


def test_onnxruntime_latency_objective_is_measured_once_per_architecture(tmp_path, data_dir):
    from dse.search.keys import arch_key, machine_name

    space = tmp_path / "ort.yaml"
    space.write_text(ORT)
    args = ["run", "--space", str(space), "--trials", "1", "--device", "cpu", "--data-dir",
            str(data_dir)]
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db")
    (rec,) = store.trials("a")
    assert rec.measurements["ort_latency_ms"] > 0 and rec.measurements["ort_int8_latency_ms"] > 0
    key = arch_key({"name": "hps-06-0.5x"}, "cifar10")
    cached = store.arch_measurements(key, machine_name())
    assert cached["ort_latency_ms"] == rec.measurements["ort_latency_ms"]
    # another worker (here: a second process) reads the store instead of measuring again
    store.save_arch_measurements(key, machine_name(), {"ort_latency_ms": 123.0})
    space.write_text(ORT.replace("study: a", "study: b").replace("batch_size: 64",
                                                                 "batch_size: 32"))
    r = dse(*args, cwd=tmp_path)  # the same architecture with another recipe
    assert r.returncode == 0, r.stderr
    (rec_b,) = store.trials("b")
    assert rec_b.measurements["ort_latency_ms"] == 123.0
    r = dse("show", "--study", "b", "--trial", "0", cwd=tmp_path)
    assert json.loads(r.stdout)["ort_latency_ms"] == 123.0


def test_workers_auto_is_one_per_core_unless_a_metric_is_timed():
    from dse.search.workers import auto_workers

    assert auto_workers(["accuracy", "size_mb"], "cpu", 2, None)[0] == 2
    assert auto_workers(["accuracy", "size_mb"], "cpu", 8, 3)[0] == 3  # no idle worker
    n, why = auto_workers(["accuracy", "size_mb", "latency_ms"], "cpu", 2, None)
    assert n == 1 and "latency_ms" in why
    assert auto_workers(["accuracy", "ort_latency_ms"], "cpu", 16, None)[0] == 1
    assert auto_workers(["accuracy", "epoch_time_s"], "cpu", 16, None)[0] == 1
    assert auto_workers(["accuracy", "macs"], "cuda:0", 16, None)[0] == 1


def test_progress_durations_read_one_way_per_scale():
    assert [duration(s) for s in (59, 60, 725, 3599, 3600, 6689, 9000)] == \
        ["59s", "1m00s", "12m05s", "59m59s", "1h00m", "1h51m", "2h30m"]
