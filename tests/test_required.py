"""Required rules: a network without convolutions cannot pass a CNN assignment, whatever
its score; its points stay visible; a spec without `required` behaves as before."""

from __future__ import annotations

import csv
import json
import re

import pytest

from grader import assignment, spec_types
from grader.errors import UsageError
from grader.judging import scoring
from grader.judging.checks import Check
from tests.conftest import EXAMPLES, TINY, cli, results, spec_text

DENSE = EXAMPLES / "dense_only.py"
REQUIRED = re.compile(r"(?m)^required = true$")  # the bundled spec's one required rule


def _spec(tmp_path, text: str):
    path = tmp_path / "assignment.toml"
    path.write_text(text)
    return path


def test_a_failed_required_rule_blocks_passing_and_says_why():
    checks = [
        Check("runs", True, 10, 10, "ran"),
        Check("convolutions", False, 0, 10, "expected at least 2, found 0", required=True),
        Check("pooling", True, 5, 5, "ok", required=True),
    ]
    assert scoring.total(checks) == 15  # the points stay as earned
    assert [c.name for c in scoring.required_failed(checks)] == ["convolutions"]
    assert scoring.not_passing_because(checks) == (
        "not passing: required rule 'convolutions' failed: expected at least 2, found 0"
    )
    assert scoring.not_passing_because(checks[:1]) is None


def test_a_cap_limits_the_score_only_when_its_rule_fails():
    spec = spec_types.Rule("convolutions", "conv_layers", 10, "2 convs", min=2, required=True,
                           cap=40)  # fmt: skip
    failed = [Check("runs", True, 60, 60, ""), Check("convolutions", False, 0, 10, "", "", True)]
    assert scoring.total(failed, (spec,)) == 40
    passed = [Check("runs", True, 60, 60, ""), Check("convolutions", True, 10, 10, "", "", True)]
    assert scoring.total(passed, (spec,)) == 70


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("required", '"yes"', "rules[1].required: expected bool"),
        ("cap", "500", "rules[1].cap: must be between 0 and the rubric's 100 points"),
        ("cap", '"half"', "rules[1].cap: expected float"),
    ],
)
def test_bad_required_or_cap_is_a_usage_error_naming_the_key(tmp_path, key, value, named):
    new = f"required = {value}" if key == "required" else f"required = true\n{key} = {value}"
    text = REQUIRED.sub(new, spec_text())
    with pytest.raises(UsageError, match=named.replace("[", r"\[").replace("]", r"\]")):
        assignment.load(str(_spec(tmp_path, text)))


def test_a_cap_without_required_is_refused(tmp_path):
    text = REQUIRED.sub("cap = 50", spec_text())
    with pytest.raises(UsageError, match=r"rules\[1\]\.cap: only a required rule"):
        assignment.load(str(_spec(tmp_path, text)))


@pytest.mark.slow
def test_dense_only_does_not_pass_but_keeps_its_points(tmp_path, data_path):
    """At a pass mark it reaches, only the required rule stands between it and passing;
    without `required` the same spec passes it with the same score."""
    base = spec_text(**TINY, pass_mark=0.3)
    graded = {}
    for name, text in (("required", base), ("plain", REQUIRED.sub("", base))):
        (tmp_path / name).mkdir()
        spec, out = _spec(tmp_path / name, text), tmp_path / name / "out"
        done = cli("grade", str(DENSE), "--data", data_path, "--out", str(out),
                   "--assignment", str(spec))  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        graded[name] = (results(out)["dense_only"], done.stdout, out)
    required, line, out = graded["required"]
    plain = graded["plain"][0]
    assert required["score"] == plain["score"] >= required["pass_mark"]
    assert plain["passed"] and not plain["required_failed"]
    assert not required["passed"] and required["required_failed"] == ["convolutions"]
    assert required["not_passing_because"].startswith(
        "not passing: required rule 'convolutions' failed: expected at least 2 convolution"
    )
    assert "not passing: required convolutions failed" in line
    with (out / "grades.csv").open() as f:
        (row,) = csv.DictReader(f)
    assert row["passed"] == "False" and row["required_failed"] == "convolutions"
    report = (out / "dense_only" / "report.html").read_text()
    assert "not passing: required rule &#39;convolutions&#39; failed" in report
    assert "1 failed a required rule" in (out / "index.html").read_text()


@pytest.mark.slow
def test_check_exits_1_for_a_required_failure(tmp_path, data_path):
    spec = _spec(tmp_path, spec_text(**TINY, pass_mark=0.3))
    junit, gradescope = tmp_path / "junit.xml", tmp_path / "results.json"
    done = cli(
        "check", str(DENSE), "--data", data_path, "--assignment", str(spec),
        "--out", str(tmp_path / "out"), "--junit", str(junit), "--gradescope", str(gradescope),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "not passing: required rule 'convolutions' failed" in done.stdout
    tests = json.loads(gradescope.read_text())["tests"]
    assert any(t["name"] == "convolutions (required)" and t["status"] == "failed" for t in tests)
    assert 'name="required" value="true"' in junit.read_text()
