"""PrairieLearn: the grader as an external grader's entry, run on a folder laid out as
/grade (a temporary root), writes a results.json PrairieLearn accepts (its parsing and
validation reproduced below): gradable with a score in [0, 1], a test per rubric item with
points, the report's plots as images; a fault of the grader is not gradable."""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.reporting import prairielearn
from tests.conftest import EXAMPLES, SPEC, a_result, cli

pytestmark = pytest.mark.slow
GRADE_SH = SPEC.parent / "prairielearn" / "grade.sh"


def accepted(root: Path) -> dict:
    """makeGradingResult and processGradingResult (PrairieLearn/PrairieLearn, apps/
    prairielearn/src/lib/externalGrader*.ts): JSON that parses (no NaN), at most 1 MiB,
    a score that is a finite number in [0, 1] when gradable; per-test points shown only
    when every test has both."""
    raw = (root / "results" / "results.json").read_bytes()
    assert len(raw) <= 1024 * 1024
    doc = json.loads(raw, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    if doc.get("gradable", True):
        score = doc.get("score")
        assert isinstance(score, (int, float)) and math.isfinite(score) and 0 <= score <= 1
        assert all("points" in t and "max_points" in t for t in doc.get("tests", []))
    for image in doc.get("images", []):
        head, _, data = image["url"].partition(",")
        assert head == "data:image/svg+xml;base64" and image["label"]
        svg = base64.b64decode(data)  # an image of its own: it needs its namespace
        assert svg.startswith(b"<svg") and b'xmlns="http://www.w3.org/2000/svg"' in svg
    return doc


def _job(tmp_path: Path, submission: Path) -> Path:
    root = tmp_path / "grade"
    for name in ("student", "tests", "serverFilesCourse", "data"):
        (root / name).mkdir(parents=True)
    shutil.copy(submission, root / "student" / submission.name)
    (root / "data" / "data.json").write_text("{}")
    return root


def test_a_graded_notebook_is_a_score_with_tests_and_images(tmp_path, tiny_spec, data_path):
    root = _job(tmp_path, EXAMPLES / "good_cnn_notebook.ipynb")
    args = ["--root", str(root), "--assignment", str(tiny_spec), "--data", data_path]
    done = cli("prairielearn", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = accepted(root)
    stored = json.loads(next((root / "results" / "grader").glob("*/result.json")).read_text())
    assert doc["gradable"] is True and doc["score"] == round(stored["score"] / 100, 4)
    assert [t["name"] for t in doc["tests"]][-1] == "accuracy"
    assert sum(t["points"] for t in doc["tests"]) == pytest.approx(stored["score"])
    assert {i["label"] for i in doc["images"]} == {"Training curves", "Confusion matrix"}


def test_a_fault_of_the_grader_is_not_gradable_and_the_entry_exits_0(tmp_path, tiny_spec):
    root = _job(tmp_path, EXAMPLES / "good_cnn.py")
    here = Path(sys.executable).parent  # where the `grader` command is installed
    env = {
        **os.environ,
        "GRADER_ROOT": str(root),
        "GRADER_ASSIGNMENT": str(tiny_spec),
        "GRADER_DATA": str(tmp_path / "none"),
        "PATH": f"{here}:{os.environ['PATH']}",
    }
    done = subprocess.run(["sh", str(GRADE_SH)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    doc = accepted(root)
    assert doc["gradable"] is False and "not of your work" in doc["message"]
    assert "not found" in doc["message"]  # why, in the grader's words


def test_a_results_file_over_the_limit_loses_its_images_first(tmp_path):
    r = a_result()
    doc = prairielearn.result(r, lambda item: "visible", "summary")
    doc["images"] = [{"label": "big", "url": "data:image/svg+xml;base64," + "A" * 1_100_000},
                     *doc["images"]]  # fmt: skip
    prairielearn.write(tmp_path, doc)
    written = accepted(tmp_path)
    assert "big" not in {i["label"] for i in written["images"]} and written["tests"]


def test_the_dockerfile_installs_what_the_entry_needs():
    """No Docker here: the recipe is read, its pieces checked against the repository."""
    text = (SPEC.parent / "prairielearn" / "Dockerfile").read_text()
    for piece in ("bubblewrap", "GRADER_DATA=/opt/cifar10", "chmod -R go-rwx /opt/cifar10",
                  "grade.sh /usr/local/bin/grade-cifar10", "grader calibrate"):  # fmt: skip
        assert piece in text, piece
    info = json.loads((SPEC.parent / "prairielearn" / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and options["timeout"] <= 600
    assert options["entrypoint"] == "/usr/local/bin/grade-cifar10"


def test_a_hand_in_with_nothing_to_run_is_a_format_error_that_costs_no_attempt(tmp_path):
    failure = {"kind": "rejected", "message": "hw.pdf is not a notebook (.ipynb) or a Python "
               "module (.py)", "hint": "hand in the notebook itself"}  # fmt: skip
    r = a_result(status="failed", accuracy=None, failure=failure)
    prairielearn.write(tmp_path, prairielearn.result(r, lambda item: "visible", "summary"))
    doc = accepted(tmp_path)
    assert doc["gradable"] is False and "hw.pdf is not a notebook" in doc["format_errors"][0]
