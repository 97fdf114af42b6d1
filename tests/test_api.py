"""The Python API page (docs/api.md) is true: its example runs a small study, confirms a
trial beside a baseline and exports it, as written, against the real CIFAR-10."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dse import api
from dse.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _example() -> str:
    text = (REPO / "docs" / "api.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return code


@pytest.mark.slow
def test_the_api_page_example_runs(tmp_path, data_dir):
    script = tmp_path / "example.py"
    script.write_text(_example())
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=900, env={**os.environ, "DSE_DATA_DIR": str(data_dir)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "demo.db").is_file()
    assert (tmp_path / "deploy" / "best.onnx").is_file()
    assert (tmp_path / "deploy" / "best.int8.onnx").is_file()
    lines = proc.stdout.strip().splitlines()
    f32, int8 = (float(x) for x in lines[-1].split())  # the card's two test accuracies
    assert 0.0 <= int8 <= 1.0 and 0.0 <= f32 <= 1.0
    assert re.search(r"^\d+ hps .* \d+\.\d\d%$", "\n".join(lines), flags=re.M)  # a confirmed row


def test_api_rejects_bad_input_with_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="--trials N"):
        api.run("hps_arch_cifar10", storage=f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(ConfigError, match="--workers"):
        api.run("hps_arch_cifar10", trials=1, workers="many",
                storage=f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(ConfigError, match="either --study"):
        api.export(tmp_path / "x.onnx")


def test_the_cli_calls_the_api_for_the_journey_verbs():
    """Each journey command's body goes through `dse.api` (the CLI only parses and prints)."""
    for module, verb in (("study", "api.run("), ("confirm", "api.confirm("),
                         ("compare", "api.compare_each("), ("results", "api.pareto("),
                         ("results", "api.report("), ("confirm", "api.frontier("),
                         ("deploy", "api.export("), ("auto", "api.auto("),
                         ("auto", "api.auto_status(")):
        assert verb in (REPO / "dse" / "cli" / f"{module}.py").read_text(), (module, verb)
