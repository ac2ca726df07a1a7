"""`grader check` at the quick budget estimates the standard grade and never promises a
pass it cannot keep: the reference is likely to pass with every calibrated seed, and a
model whose output trains erratically (a linear output with a probability loss) is not.
Real runs at the quick budget with the bundled calibrations."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader import assignment
from grader.calibration import relation, store
from grader.judging import uncertainty
from grader.judging.checks import Check
from tests.conftest import REFERENCE, ROOT, SPEC, cli, results

pytestmark = pytest.mark.slow  # grades, or starts warm parents that import TensorFlow

TRAP = ROOT / "tests" / "rules" / "linear_prob_loss.py"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_path) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("quick_estimate")
    done = cli(
        "grade",
        str(REFERENCE),
        str(TRAP),
        "--budget",
        "quick",
        "--jobs",
        "2",
        "--data",
        data_path,
        "--out",
        str(out),
        "--no-calibrate",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out, results(out)


def test_the_reference_is_likely_to_pass_with_every_calibrated_seed(graded):
    _, found = graded
    result = found[REFERENCE.stem]
    assert result["estimate"]["verdict"] == uncertainty.LIKELY_PASS and result["passed"]
    low, high = result["estimate"]["standard_accuracy_range"]
    assert low <= result["estimate"]["standard_accuracy"] <= high
    spec = assignment.load(str(SPEC))
    quick = store._load(spec.reference_dir / store.FOLDER / result["calibration"]["file"])
    fitted = relation.of(quick, spec.spec.rubric.accuracy)
    others = [Check(**c) for c in result["checks"] if c["name"] != "accuracy"]
    for acc in quick.accuracies:  # the same rubric, at each accuracy the reference reached
        assert uncertainty.estimate(spec, fitted, others, acc, [])["verdict"] == (
            uncertainty.LIKELY_PASS
        ), acc


def test_a_linear_output_with_a_probability_loss_is_never_likely_to_pass(graded):
    _, found = graded
    estimate = found[TRAP.stem]["estimate"]
    assert estimate["verdict"] != uncertainty.LIKELY_PASS and not found[TRAP.stem]["passed"]
    assert any("linear output with a probability loss" in why for why in estimate["why"])
    out, _ = graded
    with (out / "grades.csv").open() as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert rows[TRAP.stem]["estimate"] == estimate["verdict"]
    assert rows[REFERENCE.stem]["estimate"] == uncertainty.LIKELY_PASS


def test_check_exit_status_follows_the_verdict(graded, data_path):
    out, found = graded
    done = cli("check", str(TRAP), "--data", data_path, "--out", str(out), "--no-calibrate")
    verdict = found[TRAP.stem]["estimate"]["verdict"]
    assert done.returncode == uncertainty.EXIT_STATUS[verdict] != 0, done.stderr[-2000:]
    assert verdict.upper() in done.stdout and "linear output" in done.stdout
    if verdict == uncertainty.BORDERLINE:
        assert "grader check --budget standard" in done.stdout
