"""Classroom 50: the result.json its runner reads back from an assignment's autograder.py,
checked the way Classroom 50's own code checks it (its JSON Schema, and runner.py's
validate_result reproduced below), for a passing, a failing, a required-rule and a
grader-fault submission; the shipped autograder.py run as the runner runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from grader.reporting import classroom50
from tests.conftest import EXAMPLES, SPEC, TINY, a_result, spec_text

HERE = Path(__file__).resolve().parent
SCHEMA = json.loads((HERE / "schemas" / "classroom50_result_v1.json").read_text())
AUTOGRADER = SPEC.parent / "classroom50" / "autograder.py"
ENV = {
    "CLASSROOM": "cs-ml",
    "ASSIGNMENT": "cifar10",
    "SUBMISSION_TAG": "submit/2026-12-03T10-00-00Z-a1b2c3d",
    "COMMIT_URL": "https://github.com/cs-ml/cs-ml-cifar10-alice/commit/a1b2c3d",
    "RELEASE_URL": "https://github.com/cs-ml/cs-ml-cifar10-alice/releases/tag/submit%2F2026",
    "OWNER": "alice",
    "MODE": "individual",
}
WHO = classroom50.identity(ENV)


def runner_accepts(doc: dict) -> str | None:
    """runner.py::validate_result (foundation50/classroom50 @ 0c499034): None when valid."""
    if not isinstance(doc, dict) or doc.get("schema") != classroom50.SCHEMA:
        return "schema"
    if doc.get("classroom") != ENV["CLASSROOM"] or doc.get("assignment") != ENV["ASSIGNMENT"]:
        return "identity"
    if not isinstance(doc.get("owner"), str) or doc["owner"].lower() != ENV["OWNER"].lower():
        return "owner"
    if doc.get("assignment_type") != "individual":
        return "assignment_type"
    if not str(doc.get("submission", "")).startswith("submit/"):
        return "submission"
    for field in ("commit", "release", "review", "datetime"):
        if not isinstance(doc.get(field), str) or not doc[field]:
            return field

    def count(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if not (count(doc.get("score")) and count(doc.get("max-score"))):
        return "score"
    if doc["score"] > doc["max-score"]:
        return "score > max-score"
    if not isinstance(doc.get("tests"), list):
        return "tests"
    for t in doc["tests"]:
        if not isinstance(t, dict) or not isinstance(t.get("test-name"), str) or not t["test-name"]:
            return "test-name"
        if not isinstance(t.get("passed"), bool):
            return "passed"
        if not (count(t.get("score")) and count(t.get("max-score"))):
            return "test score"
        if t["score"] > t["max-score"]:
            return "test score > max-score"
    return None


def accepted(doc: dict) -> dict:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert runner_accepts(doc) is None, runner_accepts(doc)
    return doc


def _checks(accuracy_points: float, conv_passed: bool = True) -> list[dict]:
    return [
        {"name": "runs", "passed": True, "points": 5.0, "max_points": 5, "message": "ran"},
        {
            "name": "convolutions",
            "passed": conv_passed,
            "points": 10.0 * conv_passed,
            "max_points": 10,
            "message": "found 2",
            "required": True,
        },  # fmt: skip
        {"name": "dropout", "passed": True, "points": 40.0, "max_points": 40, "message": "ok"},
        {
            "name": "accuracy",
            "passed": accuracy_points >= 45,
            "points": accuracy_points,
            "max_points": 45,
            "message": "test accuracy",
            "hint": "train longer",
        },  # fmt: skip
    ]


def _visible(item: str) -> str:
    return "visible"


def test_a_passing_grade_in_whole_points_that_add_up():
    r = a_result(checks=_checks(30.5), score=85.5, max_score=100.0, passed=True)
    doc = accepted(classroom50.result(r, WHO, _visible))
    assert [t["test-name"] for t in doc["tests"]] == [
        "runs", "convolutions (required)", "dropout", "accuracy"
    ]  # fmt: skip
    assert doc["max-score"] == 100 and sum(t["max-score"] for t in doc["tests"]) == 100
    assert doc["score"] == 86 and sum(t["score"] for t in doc["tests"]) == 86  # 85.5 rounded
    accuracy = {"test-name": "accuracy", "passed": False, "score": 31, "max-score": 45,
                "message": "test accuracy", "hint": "train longer"}  # fmt: skip
    assert doc["tests"][3] == accuracy


def test_a_failed_run_and_a_failed_required_rule_are_results_too():
    failure = {"kind": "error", "message": "NameError: x", "hint": "define x", "cell": 3,
               "line": 2, "excerpt": []}  # fmt: skip
    failed = a_result(status="failed", accuracy=None, checks=_checks(0.0), score=55.0,
                      passed=False, failure=failure)  # fmt: skip
    doc = accepted(classroom50.result(failed, WHO, _visible))
    assert doc["score"] == 55 and "cell 3, line 2: NameError: x" in doc["tests"][0]["output"]
    capped = a_result(checks=_checks(45.0, conv_passed=False), score=40.0, passed=False,
                      required_failed=["convolutions"])  # fmt: skip
    doc = accepted(classroom50.result(capped, WHO, _visible))
    assert doc["score"] == 40 and doc["tests"][1]["passed"] is False  # the cap, not the sum


def test_items_shown_later_add_up_in_one_test_and_say_nothing_more():
    r = a_result(checks=_checks(30.5), score=85.5, max_score=100.0)
    later = classroom50.result(r, WHO, lambda item: "hidden" if item == "accuracy" else "visible")
    doc = accepted(later)
    assert [t["test-name"] for t in doc["tests"]][-1] == classroom50.HIDDEN
    assert "test accuracy" not in json.dumps(doc) and doc["tests"][-1]["max-score"] == 45


def test_whole_points_stay_within_one_of_each_value_and_reach_the_total():
    assert classroom50.whole([30.5, 5.25, 9.25], 45) == [31, 5, 9]
    assert classroom50.whole([0.4, 0.4, 0.2], 1) == [1, 0, 0]
    assert classroom50.whole([10.0, 20.0], 30) == [10, 20]


def test_outside_the_runner_it_is_a_usage_error_that_names_what_is_missing():
    with pytest.raises(Exception, match="SUBMISSION_TAG, COMMIT_URL"):
        classroom50.identity({"CLASSROOM": "c", "ASSIGNMENT": "a", "RELEASE_URL": "r"})


def _autograder(tmp_path: Path, submission: Path | None, data: str, spec: Path) -> dict:
    """autograder.py run as the runner runs it: in the checkout, with its environment."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    if submission is not None:
        shutil.copy(submission, checkout / submission.name)
    env = {**os.environ, **ENV, "GRADER_DATA": data, "GRADER_ASSIGNMENT": str(spec),
           "RUNNER_TEMP": str(tmp_path)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, str(AUTOGRADER)], cwd=checkout, env=env, capture_output=True,
        text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]  # the runner then reads result.json
    return accepted(json.loads((checkout / "result.json").read_text()))


@pytest.fixture
def tiny(tmp_path) -> Path:
    spec = tmp_path / "spec" / "assignment.toml"
    spec.parent.mkdir()
    spec.write_text(spec_text(**TINY))
    return spec


@pytest.mark.slow
@pytest.mark.parametrize(
    "example, passed",
    [("good_cnn.py", True), ("dense_only.py", False)],  # dense_only: no convolutions
)
def test_the_autograder_grades_a_checkout_for_the_runner(
    tmp_path, tiny, data_path, example, passed
):  # noqa: E501
    doc = _autograder(tmp_path, EXAMPLES / example, data_path, tiny)
    names = [t["test-name"] for t in doc["tests"]]
    assert "accuracy" in names and "convolutions (required)" in names
    conv = doc["tests"][names.index("convolutions (required)")]
    assert conv["passed"] is passed and doc["max-score"] == 100
    assert doc["score"] >= 60 if passed else doc["score"] < 100
    assert (tmp_path / "grader-results" / "checkout" / "report.html").is_file()  # the repo


@pytest.mark.slow
def test_a_fault_of_the_grader_is_a_result_that_says_it_is_not_the_students(tmp_path, tiny):
    doc = _autograder(tmp_path, EXAMPLES / "good_cnn.py", str(tmp_path / "no-data"), tiny)
    assert (doc["score"], doc["max-score"]) == (0, 0)
    (test,) = doc["tests"]
    assert test["test-name"] == "grader" and "not of your work" in test["message"]
