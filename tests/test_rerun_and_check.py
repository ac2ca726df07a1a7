"""Re-running reuses unchanged results; `check` gates on the pass mark."""

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, cli

pytestmark = pytest.mark.slow


def test_rerun_reuses_unchanged_results_and_force_regrades(tmp_path, data_path, tiny_spec):
    sub = tmp_path / "subs" / "alice.py"
    sub.parent.mkdir()
    shutil.copy(EXAMPLES / "good_cnn.py", sub)
    out = tmp_path / "out"
    args = [
        "grade",
        str(sub.parent),
        "--data",
        data_path,
        "--out",
        str(out),
        "--assignment",
        str(tiny_spec),
    ]
    assert cli(*args).returncode == 0
    result = out / "alice" / "result.json"
    first = json.loads(result.read_text())
    stamp = result.stat().st_mtime_ns

    again = cli(*args)
    assert again.returncode == 0 and "reused" in again.stdout
    assert result.stat().st_mtime_ns == stamp

    forced = cli(*args, "--force")
    assert "reused" not in forced.stdout
    assert json.loads(result.read_text())["accuracy"] == first["accuracy"]  # reproducible

    sub.write_text(sub.read_text() + "\n# changed\n")
    changed = cli(*args)
    assert "reused" not in changed.stdout
    assert json.loads(result.read_text())["cache_key"] != first["cache_key"]


def test_check_exit_status_follows_the_pass_mark(tmp_path, data_path, tiny_spec):
    common = ["--data", data_path, "--out", str(tmp_path / "out"), "--assignment", str(tiny_spec)]
    good = cli("check", str(EXAMPLES / "good_cnn.py"), *common)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "PASS" in good.stdout
    assert re.search(r"ok +convolutions\* +10/10", good.stdout)
    assert "* required: failing it means not passing" in good.stdout
    strict = tmp_path / "strict.toml"  # Keras 1 code fails as written (no translations)
    strict.write_text(tiny_spec.read_text().replace('mode = "translate"', 'mode = "strict"'))
    common[-1] = str(strict)
    bad = cli("check", str(EXAMPLES / "keras1_cheatsheet.py"), *common)
    assert bad.returncode == 1
    assert "`padding`" in bad.stdout and "line 12" in bad.stdout
    assert (tmp_path / "out" / "keras1_cheatsheet" / "result.json").is_file()


def test_limits_are_overridden_on_the_command_line(tmp_path, data_path, tiny_spec):
    loop = Path(__file__).resolve().parent / "hostile" / "infinite_loop.py"
    done = cli(
        "check",
        str(loop),
        "--data",
        data_path,
        "--out",
        str(tmp_path / "out"),
        "--assignment",
        str(tiny_spec),
        "--wall-time",
        "6",
        "--output-kept",
        "4",
    )
    assert done.returncode == 1
    assert "wall-time limit of 6 s" in done.stdout
    result = json.loads((tmp_path / "out" / "infinite_loop" / "result.json").read_text())
    assert result["sandbox"]["limits"]["wall_time_s"] == 6
    assert result["sandbox"]["limits"]["output_kept_kb"] == 4
    assert result["duration_s"] < 20


def test_check_uses_the_quick_budget_and_its_bundled_calibration(tmp_path, data_path):
    out = tmp_path / "out"
    done = cli(
        "check",
        str(EXAMPLES / "dense_only.py"),  # a required rule fails: likely to fail
        "--data",
        data_path,
        "--out",
        str(out),
        "--no-calibrate",
    )
    assert done.returncode == 1, done.stderr[-2000:]
    result = json.loads((out / "dense_only" / "result.json").read_text())
    assert result["budget"]["name"] == "quick" and result["budget"]["train_images"] == 2000
    assert result["calibration"]["file"].startswith("cifar10_cnn-quick-")
    assert result["estimate"]["verdict"] == "likely to fail" and not result["passed"]
    assert "LIKELY TO FAIL" in done.stdout and "At budget 'quick'" in done.stdout
