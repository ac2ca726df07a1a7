"""The right reason for every failure, each shown by a submission written for it: the
headline is the cause at its cell and line, limits are named as limits, a hung notebook
stops at the code-time limit, and nothing a student reads shows the grading machine."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

from grader.reporting import printed
from tests.conftest import ROOT, SUBMISSIONS, cli, results, tiny_batch

REASONS = SUBMISSIONS / "reasons"
RESIZE = "resize_224.py"
HUNG = ("hung_loop.ipynb", "sigterm_sleeper.py")
CODE_TIME = 45  # seconds from the stage's start, TensorFlow's import (up to 15 s here) included

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def batch(tmp_path_factory, data_path) -> tuple[Path, dict[str, dict]]:
    empty_cache = tmp_path_factory.mktemp("no-weights")  # no pretrained weights at all
    out, _, done = tiny_batch(
        tmp_path_factory,
        data_path,
        # the two hung ones first, side by side; the rest beside them (4 jobs on 2 cores)
        sorted(
            (p for p in REASONS.iterdir() if p.name != RESIZE), key=lambda p: p.name not in HUNG
        ),
        "--code-time",
        str(CODE_TIME),
        "--weights",
        str(empty_cache),
        "--jobs",
        "4",
        memory_mb=2048,
        mode="strict",  # Keras 1/2 habits fail here with their hints (test_compat translates)
    )
    return out, results(out), done.stdout


def _failure(batch, name: str) -> dict:
    r = batch[1][name]
    assert r["status"] == "failed", r
    return r["failure"]


def test_an_empty_model_names_the_add_that_failed(batch):
    f = _failure(batch, "empty_after_add")
    assert f["message"].startswith("TypeError: Dense.__init__() missing 1 required")
    assert (f["cell"], f["line"]) == (3, 2)
    assert "`units`" in f["hint"]
    assert "no layers" not in f["message"]


def test_the_error_that_prevented_the_model_is_the_headline(batch):
    """A Colab file read fails in cell 1; the download of the pretrained base, in cell 3,
    is what kept the model from being."""
    r = batch[1]["colab_transfer"]
    f = r["failure"]
    assert f["cell"] == 3 and f["kind"] == "environment"
    assert "mobilenet_v2_weights" in f["message"] and "grader weights add" in f["hint"]
    cells = [e["cell"] for e in r["errors"]]
    assert 1 in cells  # the other errors stay listed
    first = next(e for e in r["errors"] if e["cell"] == 1 and e["kind"] != "environment")
    assert "Colab path" in first["hint"]


def test_keras_3_habits_get_their_own_hints(batch):
    r = batch[1]["keras2_habits"]
    assert r["status"] == "graded"  # the model still trains
    by_cell = {e["cell"]: e for e in r["errors"]}
    assert "tensorflow.keras.preprocessing.image" in by_cell[1]["hint"]
    assert (
        by_cell[2]["message"].startswith("AssertionError") and "fewer images" in by_cell[2]["hint"]
    )
    assert "best.keras" in by_cell[4]["hint"]


def test_resizing_the_data_set_is_a_memory_verdict_naming_the_limit(tmp_path, data_path):
    """At the standard budget load_data() gives 4000 images: 2.4 GB once resized."""
    out = tmp_path / "out"
    done = cli("grade", str(REASONS / RESIZE), "--data", data_path, "--out", str(out),
               "--memory", "2048")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    f = results(out)["resize_224"]["failure"]
    assert f["kind"] == "memory", f
    assert "2048 MB" in f["message"] and "224 x 224" in f["message"]
    assert "resize" in f["hint"]
    assert f["line"] == 6


def test_an_oversized_model_is_rejected_with_its_parameter_count(batch):
    r = batch[1]["huge_dense"]
    f = r["failure"]
    assert f["kind"] == "rejected"
    # refused before its weight is allocated, at the grader's parameter limit
    assert "536,870,912 parameters" in f["message"] and "50,000,000" in f["message"]
    assert "GlobalAveragePooling2D" in f["hint"]
    assert r["duration_s"] < 60


# the lines the code can be caught on: any line of the endless loop, or the sleep
@pytest.mark.parametrize(("name", "lines"), [("hung_loop", (3, 4, 5)), ("sigterm_sleeper", (15,))])
def test_hung_code_stops_at_the_code_time_limit_naming_its_line(batch, name, lines):
    r = batch[1][name]
    f = r["failure"]
    assert f["kind"] == "timeout" and f"{CODE_TIME} s" in f["message"]
    assert f["line"] in lines and f"line {f['line']}" in f["message"]
    assert r["duration_s"] < CODE_TIME + 15  # the wall-time limit is 120 s here


def test_nothing_a_student_reads_shows_the_grading_machine(batch):
    out = batch[0]
    private = [str(ROOT), sys.prefix, str(Path(tempfile.gettempdir()) / "grader-")]
    for folder in out.iterdir():
        if not folder.is_dir():
            continue
        result = json.loads((folder / "result.json").read_text())
        shown = [result["failure"], result["errors"], result["findings"], result["inferred"]]
        text = json.dumps(shown) + (folder / "output.txt").read_text()
        text += (folder / "report.html").read_text()
        leaked = [p for p in private if p in text]
        assert leaked == [], (folder.name, leaked)


def test_output_is_free_of_tensorflow_start_up_lines(batch):
    text = (batch[0] / "keras2_habits" / "output.txt").read_text()
    mine, _ = printed.parts(text)
    assert "absl::InitializeLog" not in mine and "cpu_feature_guard" not in mine
    assert "Fontconfig error" not in mine


def test_started_lines_without_a_terminal(batch):
    started = [ln.split()[0] for ln in batch[2].splitlines() if ln.endswith(" started")]
    assert sorted(started) == sorted(p.stem for p in REASONS.iterdir() if p.name != RESIZE)
