"""Course integration: Gradescope's results.json whatever happens (a crash, a fault, missing
data, a calibration that does not match), run_autograder in a simulated /autograder layout
(the spec picks the notebook beside a helper module, student code runs as an unprivileged
user, the spec's visibility holds), and GitHub Classroom's runner result."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml

from grader import collect
from grader.reporting import exports
from grader.runner import sandbox, stages
from tests.conftest import EXAMPLES, SPEC, TINY, a_result, cli, spec_text

HERE = Path(__file__).resolve().parent
SCHEMA = json.loads((HERE / "schemas" / "gradescope_results.json").read_text())
CI = SPEC.parent / "ci"
HIDE_ACCURACY = ('overall = "visible"', 'overall = "visible"\naccuracy = "after_due_date"')


def _classroom(path: Path) -> dict:
    """The last runner result a command appended to $GITHUB_OUTPUT, decoded."""
    lines = [ln for ln in path.read_text().splitlines() if ln.startswith("result=")]
    return json.loads(base64.b64decode(lines[-1].removeprefix("result=")))


def _fault_cases(tmp_path: Path, data_path: str) -> dict[str, tuple[list[str], int, str]]:
    """command-line arguments, exit status, words of the explanation."""
    spec = tmp_path / "assignment.toml"  # a budget no calibration exists for
    spec.write_text(spec_text(**{**TINY, "train_images": 601}))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    good = str(EXAMPLES / "good_cnn.py")
    return {
        "missing data": (["check", good, "--data", str(tmp_path / "none")], 2, "not found"),
        "no calibration": (
            ["check", good, "--data", data_path, "--assignment", str(spec), "--no-calibrate"],
            2,
            "grader calibrate",
        ),
        # a bug of the grader's (here: it cannot make its results folder)
        "crash": (["check", good, "--data", data_path, "--out", str(blocked / "out")], 1, "crash"),
    }


@pytest.mark.slow  # "no calibration" and "crash" start a batch
@pytest.mark.parametrize("case", ["missing data", "no calibration", "crash"])
def test_a_fault_of_the_grader_still_writes_results_json(tmp_path, data_path, case):
    args, status, words = _fault_cases(tmp_path, data_path)[case]
    results, output = tmp_path / "results.json", tmp_path / "github_output"
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    done = cli(
        *args, "--gradescope", str(results), env={**os.environ, "GITHUB_OUTPUT": str(output)}
    )
    assert done.returncode == status, done.stderr[-2000:]
    doc = json.loads(results.read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["score"] == 0 and doc["extra_data"]["status"] == "grader_fault"
    assert "not of your work" in doc["output"] and words in doc["output"]
    assert _classroom(output)["status"] == "error"


def test_the_spec_picks_the_submission_and_lists_rivals(tmp_path):
    shutil.copytree(HERE / "courses", tmp_path / "one")
    picked = collect.one(tmp_path / "one", tmp_path / "scratch", ("*.ipynb", "*.py"))
    assert picked.problem is None and picked.entry.name == "solution.ipynb"
    picked = collect.one(tmp_path / "one", tmp_path / "scratch", ("helpers.py", "*.ipynb"))
    assert picked.entry.name == "helpers.py"  # a required name first wins
    shutil.copy(HERE / "courses" / "solution.ipynb", tmp_path / "one" / "copy.ipynb")
    rivals = collect.one(tmp_path / "one", tmp_path / "scratch", ("*.ipynb", "*.py"))
    assert "copy.ipynb, solution.ipynb" in rivals.problem.message
    assert "*.ipynb" in rivals.problem.hint


@pytest.mark.slow
def test_classroom_result_junit_and_gradescope_visibility(tmp_path, data_path):
    spec = tmp_path / "assignment.toml"
    spec.write_text(spec_text(**TINY).replace(*HIDE_ACCURACY))
    output, junit, gradescope = (tmp_path / n for n in ("gh", "junit.xml", "results.json"))
    done = cli(
        "check",
        str(EXAMPLES / "good_cnn.py"),
        *("--assignment", str(spec), "--data", data_path, "--out", str(tmp_path / "out")),
        *("--junit", str(junit), "--gradescope", str(gradescope)),
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    result = json.loads((tmp_path / "out" / "good_cnn" / "result.json").read_text())
    doc = _classroom(output)
    assert doc["version"] == 1 and doc["max_score"] == result["max_score"]
    assert doc["status"] == ("pass" if result["passed"] else "fail")
    assert sum(t["score"] for t in doc["tests"]) == pytest.approx(result["score"])
    names = [t["name"].removesuffix(" (required)") for t in doc["tests"]]
    assert names == [c["name"] for c in result["checks"]]
    assert {t["status"] for t in doc["tests"]} <= {"pass", "fail"}

    seen = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.parse(junit).iter("testcase")
    }
    assert seen["accuracy"]["visibility"] == "after_due_date"
    assert seen["runs"]["visibility"] == "visible"

    shown = json.loads(gradescope.read_text())
    jsonschema.validate(shown, SCHEMA)
    by_name = {t["name"]: t for t in shown["tests"]}
    assert by_name["accuracy"]["visibility"] == "after_due_date"
    assert by_name["runs"]["visibility"] == "visible"
    assert "accuracy" not in shown["output"].lower() and "leaderboard" not in shown
    assert f"{result['score']:g} / " not in shown["output"]  # the total would give it away


def _autograde(tmp_path: Path, data_path: str, submission: Path) -> Path:
    """Build the bundle, lay it out as Gradescope does, run run_autograder as root."""
    bundle = tmp_path / "autograder.zip"
    assert cli("gradescope-bundle", "--output", str(bundle)).returncode == 0
    source = tmp_path / "source"
    shutil.unpack_archive(bundle, source)
    spec = source / "assignments" / "cifar10_cnn" / "assignment.toml"
    text = spec.read_text().replace(*HIDE_ACCURACY)
    spec.write_text(text.replace("max_seeds = 5", "max_seeds = 1"))  # time: one seed
    root = tmp_path / "autograder"
    shutil.copytree(submission, root / "submission")
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "GRADER_COMMAND": str(Path(sys.executable).parent / "grader"),
        "GRADER_EXTRA_ARGS": f"--data {data_path} --sandbox process",  # no bubblewrap there
    }
    done = subprocess.run(
        ["bash", str(source / "run_autograder")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return root


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs the autograder as root")
def test_run_autograder_grades_the_notebook_as_an_unprivileged_user(tmp_path, data_path):
    blocked = sandbox.uid_blocked()  # test_fallback checks what happens then
    if blocked:
        pytest.skip(f"other uids cannot run this machine's grader: {blocked}")
    root = _autograde(tmp_path, data_path, HERE / "courses")
    doc = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    result = json.loads((root / "results" / "grader" / "submission" / "result.json").read_text())
    assert result["kind"] == "notebook" and result["status"] == "graded"
    assert result["sandbox"]["user"] == "own non-root uid"
    printed = (root / "results" / "grader" / "submission" / "output.txt").read_text()
    uid = int(printed.split("running as uid ")[1].split()[0])
    assert uid >= stages.UID_BASE  # the student stage's own uid, not root's
    assert doc["score"] == result["score"] > 0
    visibility = {t["name"]: t["visibility"] for t in doc["tests"]}
    assert visibility.pop("accuracy") == "after_due_date"
    assert set(visibility.values()) == {"visible"}


def test_classroom_workflow_has_the_shape_classroom_generates():
    flow = yaml.safe_load((CI / "classroom.yml").read_text())
    assert flow["name"] == "Autograding Tests" and "push" in flow["on"]
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = flow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    grade = next(s for s in job["steps"] if "grader check" in s.get("run", ""))
    reporter = next(s for s in job["steps"] if "grading-reporter" in s.get("uses", ""))
    runner = reporter["with"]["runners"]
    assert runner == grade["id"]  # the reporter reads <RUNNER>_RESULTS, the step's result
    expected = "${{ steps." + runner + ".outputs.result }}"
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == expected
    outside = yaml.safe_load((CI / "grade-pull-request.yml").read_text())
    assert "pull_request" in outside[True]  # YAML reads a bare `on` as true


def test_a_capped_score_still_sums_for_classroom(tmp_path, monkeypatch):
    """A failed required rule with a cap: the reporter's sum of test scores is the score."""
    checks = [
        {"name": "runs", "passed": True, "points": 10.0, "max_points": 10, "message": "ran"},
        {
            "name": "convolutions",
            "passed": False,
            "points": 0.0,
            "max_points": 10,
            "message": "no Conv2D",
            "required": True,
        },
        {"name": "accuracy", "passed": False, "points": 30.5, "max_points": 45, "message": "0.3"},
    ]
    result = a_result(
        checks=checks,
        score=25.0,
        max_score=65,
        passed=False,
        not_passing_because="not passing: required rule 'convolutions' failed",
    )
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "gh"))
    exports.classroom(result)
    doc = _classroom(tmp_path / "gh")
    assert sum(t["score"] for t in doc["tests"]) == pytest.approx(25.0)
    assert doc["tests"][-1]["name"] == "score cap" and doc["tests"][-1]["score"] < 0
    assert doc["tests"][1]["name"] == "convolutions (required)" and doc["status"] == "fail"


def test_findings_that_quote_a_hidden_accuracy_stay_hidden(tmp_path):
    """The train/test gap finding quotes the accuracy; a failed required rule's sentence
    may quote a hidden rule: neither reaches the summary while accuracy is hidden."""
    checks = [
        {"name": "runs", "passed": True, "points": 10.0, "max_points": 10, "message": "ran"},
        {
            "name": "accuracy",
            "passed": False,
            "points": 30.5,
            "max_points": 45,
            "message": "test accuracy 0.312",
        },
    ]
    gap = {
        "message": "training accuracy 0.900, but 0.312 on the test images",
        "hint": "h",
        "quotes": "accuracy",
    }
    trap = {"message": "softmax with from_logits=True", "hint": "h"}
    result = a_result(
        submission="s",
        checks=checks,
        score=40.5,
        max_score=55,
        passed=False,
        not_passing_because="not passing: accuracy 0.312",
        accuracy=0.312,
        seeds=None,
        findings=[gap, trap],
        duration_s=1.0,
        status="graded",
    )
    path = tmp_path / "results.json"

    def hide_accuracy(item: str) -> str:
        return "hidden" if item == "accuracy" else "visible"

    exports.gradescope([result], path, hide_accuracy)
    doc = json.loads(path.read_text())
    jsonschema.validate(doc, SCHEMA)
    assert "0.312" not in doc["output"] and "from_logits" in doc["output"]
    exports.gradescope([result], path)
    assert "0.312" in json.loads(path.read_text())["output"]  # shown when visible
