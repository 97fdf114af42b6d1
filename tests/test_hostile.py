"""Untrusted and careless input: names, paths, markup, HTML, secrets, space files,
checkpoints, foreign stores. Each is refused with one paragraph and exit 2, or handled."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spaces import MINIMAL

from dse.errors import CheckpointError, ConfigError
from dse.search.space import load_space
from dse.store import redact
from dse.train import load_model


def dse(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200", **(env or {})})


def clean(r, code=2):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    return r


# ----------------------------------------------------------------- names and paths

@pytest.mark.parametrize("name", ["../../x", "/tmp/abs", "a/b", "..", ".hidden", "[/]",
                                  "x" * 101, "a b", "<script>"])
def test_bad_study_names_are_refused_before_anything_is_written(tmp_path, data_dir, name):
    r = clean(dse("run", "--space", "hps_cifar10", "--study", name, "--trials", "1",
                  "--fidelity", "smoke", "--data-dir", str(data_dir), cwd=tmp_path))
    assert "study name" in r.stderr
    assert not (tmp_path / "studies").exists() and not (tmp_path.parent / "x").exists()
    clean(dse("pareto", "--study", name, cwd=tmp_path))


def test_space_file_study_name_is_checked_by_validate(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(SPACE.replace("study: t", "study: ../../etc"))
    r = clean(dse("space", "validate", str(f), cwd=tmp_path))
    assert "study" in r.stderr
    f.write_text(SPACE.replace("study: t", "study: t\ncalibration: ../../etc"))
    r = clean(dse("space", "validate", str(f), cwd=tmp_path))
    assert "calibration" in r.stderr  # a calibration is named, never a path
    f.write_text(SPACE.replace("study: t", "study: t\ncalibration: [ok, ../../etc]"))
    r = clean(dse("space", "validate", str(f), cwd=tmp_path))
    assert "calibration" in r.stderr  # each name of a list too


def test_out_naming_a_file_is_a_clear_error(tmp_path):
    sys.path.insert(0, os.path.dirname(__file__))
    from synthetic import make_study

    make_study(f"sqlite:///{tmp_path}/studies/dse.db", n=5)
    (tmp_path / "afile").write_text("x")
    r = clean(dse("report", "--study", "synthetic", "--out", "afile", cwd=tmp_path))
    assert "is a file" in r.stderr


# ----------------------------------------------------------------- markup, HTML, secrets

def test_markup_in_user_strings_is_printed_as_text(tmp_path, data_dir):
    r = clean(dse("run", "--space", "hps_cifar10", "--trials", "1", "--constraint",
                  "[/] <= 1", "--data-dir", str(data_dir), cwd=tmp_path))
    assert "[/]" in r.stderr and "MarkupError" not in r.stderr
    r = dse("run", "--help", cwd=tmp_path)
    assert "[default: $DSE_DATA_DIR, else ./data]" in " ".join(r.stdout.split())


def test_a_study_named_with_markup_does_not_break_the_listing(tmp_path):
    import optuna

    from dse.store import Store

    url = f"sqlite:///{tmp_path}/studies/dse.db"
    optuna.create_study(study_name="[/]", storage=Store(url).optuna)  # made by another tool
    r = clean(dse("studies", cwd=tmp_path), code=0)
    assert "[/]" in r.stdout


def test_report_escapes_strings_from_the_store(tmp_path):
    sys.path.insert(0, os.path.dirname(__file__))
    import optuna
    from synthetic import make_study

    from dse.store import Store

    url = f"sqlite:///{tmp_path}/studies/dse.db"
    make_study(url, n=6)
    study = optuna.load_study(study_name="synthetic", storage=Store(url).optuna)
    study.set_user_attr("fidelity", "<script>alert(1)</script>")
    clean(dse("report", "--study", "synthetic", cwd=tmp_path), code=0)
    for page in (tmp_path / "reports" / "synthetic").glob("*.html"):
        assert "<script>alert(1)" not in page.read_text(), page.name


def test_passwords_never_appear(tmp_path):
    assert redact("postgresql://u:s3cret@host/db") == "postgresql://u:***@host/db"
    for url in ("postgresql+psycopg2://u:s3cret@127.0.0.1:9/x", "mysql://u:s3cret@h:9/x",
                "nosuch://u:s3cret@h/x"):
        for args in (["studies"], ["pareto", "--study", "x"], ["show", "--study", "x"]):
            r = clean(dse(*args, "--storage", url, cwd=tmp_path))
            assert "s3cret" not in r.stderr + r.stdout and "***" in r.stderr


# ----------------------------------------------------------------- stores

def test_read_only_commands_leave_a_foreign_sqlite_file_alone(tmp_path):
    db = tmp_path / "foreign.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes (x TEXT)")
    con.commit()
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (["studies"], ["pareto", "--study", "a"], ["show", "--study", "a"],
                 ["report", "--study", "a"]):
        r = clean(dse(*args, "--storage", f"sqlite:///{db}", cwd=tmp_path))
        assert "no dse study store" in r.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]


def test_workers_creating_a_new_sqlite_store_together_do_not_collide(tmp_path):
    code = ("import sys\nfrom dse.store import Store\ns = Store(sys.argv[1])\n"
            "s.optuna\nprint('ok')\n")
    for attempt in range(3):
        url = f"sqlite:///{tmp_path}/new{attempt}.db"
        procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]


# ----------------------------------------------------------------- space files

SPACE = MINIMAL


@pytest.mark.parametrize("content,needle", [
    (b"\x00\x01\x02\xff\xfe binary", "UTF-8"),
    ("name: t\nstudy: t\n".encode("utf-16"), "UTF-8"),
    (b"a: " + b"x" * 1_100_000, "larger than"),
    (("a: &a [" + ",".join(["x"] * 10) + "]\n" + "".join(
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))).encode(), "aliases"),
    (SPACE.replace("{int: [1, 4]}", "{int: [1, 99999999999999999999]}").encode(),
     "model.blocks"),
    (SPACE.replace("proxy: {epochs: 1}", "proxy: {epochs: .inf}").encode(), "epochs"),
    (SPACE.replace("{choices: [0.5, 1.0]}", "{float: [.nan, 1.0]}").encode(), "model.width"),
    (SPACE.replace("proxy: {epochs: 1}", "proxy: {epochs: 'many'}").encode(), "epochs"),
    (SPACE.replace("name: t", "name: " + "y" * 5000).encode(), "name"),
    # measured by `dse confirm`, not by a study: refused here, not a KeyError mid-study
    ((SPACE + "objectives: [test_accuracy, size_mb]\n").encode(), "objectives"),
    ((SPACE + "constraints: ['test_accuracy >= 0.5']\n").encode(), "not a metric a study"),
])
def test_hostile_space_files_are_refused_quickly(tmp_path, content, needle):
    f = tmp_path / "space.yaml"
    f.write_bytes(content)
    with pytest.raises(ConfigError) as exc:  # bounded: refused before aliases expand
        load_space(str(f))
    assert needle in str(exc.value) and len(str(exc.value)) < 2000, str(exc.value)[:300]


def _load_as_nobody(path: Path) -> str:
    """load_space(path) in a forked child that gave up root (uid/gid of `nobody`, as
    `setpriv` would): 'ok', or the ConfigError's text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no new imports (the interpreter's folder may be root's only)
        os.close(read)
        try:
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
            try:
                load_space(str(path))
                out = "ok"
            except ConfigError as exc:
                out = str(exc)
            os.write(write, out.encode()[:4000])
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        text = f.read()
    os.waitpid(pid, 0)
    return text


def test_an_unreadable_space_file_is_a_clear_error(tmp_path):
    """Run as an unprivileged user even under root (CI), whom file modes do not stop."""
    folder = Path(tempfile.mkdtemp(prefix="dse-unreadable-"))
    try:
        folder.chmod(0o755)  # the folder is open to everyone: only the file's mode decides
        f = folder / "space.yaml"
        f.write_text(SPACE)
        f.chmod(0o644)
        load_space(str(f))  # the modules it needs are loaded before the child gives up root
        assert _load_as_nobody(f) == "ok"
        f.chmod(0)
        text = _load_as_nobody(f)
        assert "cannot be read" in text, text
    finally:
        shutil.rmtree(folder, ignore_errors=True)


yaml_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                      st.text(max_size=20))
yaml_doc = st.recursive(yaml_leaf, lambda kids: st.one_of(
    st.lists(kids, max_size=5), st.dictionaries(st.text(max_size=12), kids, max_size=5)),
    max_leaves=40)
space_keys = st.sampled_from(["name", "study", "model", "training", "fidelities",
                              "objectives", "constraints", "sampler", "dataset"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(doc=st.one_of(yaml_doc, st.dictionaries(space_keys, yaml_doc, max_size=9),
                     st.builds(lambda base, key, v: {**base, key: v},
                               st.just(yaml.safe_load(SPACE)), space_keys, yaml_doc)))
def test_generated_documents_either_load_or_raise_the_user_error(tmp_path, doc):
    f = tmp_path / "gen.yaml"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        load_space(str(f))
    except ConfigError as exc:
        assert len(str(exc)) < 3000


# ----------------------------------------------------------------- checkpoints

def save(tmp_path, obj, name="c.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


@pytest.mark.parametrize("spec", [
    None, "hps", {"blocks": [1, 1, 1, 1]}, {"name": 7}, {"name": "resnet-50"},
    {"name": "hps", "blocks": [10**9, 1, 1, 1]}, {"name": "hps", "width": "wide"},
    {"name": "hps", "width": 1e9}, {"name": "hps-06-0.5x", "evil": "x"},
])
def test_malformed_checkpoint_specs_are_refused_before_building(tmp_path, spec):
    path = save(tmp_path, {"format": "dse.weights/1", "model": spec, "state_dict": {}})
    with pytest.raises(CheckpointError):
        load_model(path)


@pytest.mark.parametrize("ckpt", [
    {"format": "dse.weights/1", "model": {"name": "hps-06-0.5x"}},
    {"format": "dse.weights/1", "model": {"name": "hps-06-0.5x"}, "state_dict": "x"},
    {"format": "dse.weights/1", "model": {"name": "hps-06-0.5x"},
     "state_dict": {"fc.weight": torch.zeros(3)}},
])
def test_checkpoints_without_usable_weights_are_refused(tmp_path, ckpt):
    with pytest.raises(CheckpointError):
        load_model(save(tmp_path, ckpt))


spec_values = st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(), st.text(max_size=10),
                        st.lists(st.integers(-5, 10**6), max_size=6))


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(spec=st.one_of(spec_values, st.dictionaries(
    st.sampled_from(["name", "blocks", "width", "resolution", "dropout", "activation",
                     "version", "x"]),
    st.one_of(spec_values, st.sampled_from(["hps", "sqnxt", "squeezenet", "hps-06-0.5x"])),
    max_size=6)))
def test_generated_checkpoint_specs_load_or_raise_the_user_error(tmp_path, spec):
    path = save(tmp_path, {"format": "dse.weights/1", "model": spec, "state_dict": {}},
                "gen.pt")
    with pytest.raises(CheckpointError):  # an empty state_dict never fits a real model
        load_model(path)


# ----------------------------------------------------------------- the last bad inputs

@pytest.mark.parametrize("training,where", [
    ("optimizer: {sgd: {lr: abc}}", "training.optimizer: sgd.lr: Input should be a valid number"),
    ("optimizer: {sgd: {lr: 0.1, nesterov: {choices: [true, 'yes']}}}", "sgd.nesterov"),
    ("schedule: {step: {gama: 0.1}}", "step.gama: step does not take 'gama'"),
    ("schedule: {onecycle: {pct_start: {float: [0.2, 1.5]}}}", "onecycle.pct_start"),
    ("schedule: {cosnie: {}}", "unknown learning-rate schedule 'cosnie'"),
])
def test_recipe_options_are_checked_when_a_space_loads(tmp_path, training, where):
    f = tmp_path / "s.yaml"
    f.write_text(MINIMAL + f"training:\n  {training}\n")
    r = clean(dse("space", "validate", str(f), cwd=tmp_path))
    assert where in r.stderr and "training." in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1  # one paragraph


def test_a_schedule_argument_that_is_not_yaml_is_a_clear_error(tmp_path):
    r = clean(dse("train", "--model", "hps-06-0.5x", "--sched-arg", "gamma=[1", cwd=tmp_path))
    assert "--sched-arg 'gamma=[1'" in r.stderr and "ParserError" not in r.stderr
    r = clean(dse("train", "--model", "hps-06-0.5x", "--schedule", "step", "--sched-arg",
                  "gama=0.1", cwd=tmp_path))
    assert "step.gama" in r.stderr and "gamma" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_a_store_path_naming_a_photo_is_left_alone(tmp_path, data_dir):
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    before = photo.read_bytes()
    r = clean(dse("run", "--space", "hps_cifar10", "--trials", "1", "--fidelity", "smoke",
                  "--storage", f"sqlite:///{photo}", "--data-dir", str(data_dir), cwd=tmp_path))
    assert "is not an SQLite database" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]  # no .lock, no studies/
    assert photo.read_bytes() == before
