"""What the class got wrong: the problems many submissions share, counted from their
results, and how many would pass were the accuracy threshold elsewhere."""

from __future__ import annotations

import csv

from grader.reporting import insights, publish
from tests.conftest import a_result

MODERN = "Conv2D(32, (3, 3)): the kernel size is one argument"
OLD = {"call": "Convolution2D(32, 3, 3)", "translated_to": "Conv2D(32, (3, 3))",
       "modern": MODERN, "cell": 2, "line": 4}  # fmt: skip
COLAB = {"kind": "environment", "message": "ModuleNotFoundError: No module named 'google.colab'",
         "hint": "that is Colab-only code", "cell": 1, "line": 1, "excerpt": []}  # fmt: skip


def _scale(full_at: float) -> dict:
    return {"points": 45, "full_at": full_at, "zero_at": 0.1, "of_reference": 0.9,
            "reference_lowest": full_at / 0.9}  # fmt: skip


def _graded(name: str, acc: float, full_at: float = 0.4, **fields) -> object:
    """A standard grade of 55 points besides accuracy, pass mark 60."""
    points = round(45 * min(1, max(0, (acc - 0.1) / (full_at - 0.1))), 2)
    checks = [
        {"name": "runs", "passed": True, "points": 55.0, "max_points": 55, "message": "ran"},
        {"name": "accuracy", "passed": points >= 45, "points": points, "max_points": 45,
         "message": f"{acc}"},
    ]  # fmt: skip
    score = round(55 + points, 2)
    base = {"submission": name, "accuracy": acc, "accuracy_scale": _scale(full_at),
            "checks": checks, "score": score, "passed": score >= 60, "pass_mark": 60.0,
            "estimate": None, "required_failed": [], "failure": None, "errors": [],
            "findings": [], "translations": []}  # fmt: skip
    return a_result(**{**base, **fields})


def test_shared_problems_are_counted_and_named_with_who_has_them():
    found = [
        _graded("ann", 0.45, translations=[OLD, {**OLD, "line": 9}], errors=[COLAB]),
        _graded(
            "bob",
            0.45,
            translations=[
                {**OLD, "call": "Convolution2D(64, 5, 5)", "modern": "Conv2D(64, (5, 5))"}
            ],
            errors=[{**COLAB, "line": 3}],
        ),  # fmt: skip
        _graded("cy", 0.45, errors=[COLAB]),
        a_result(
            submission="dee",
            status="failed",
            accuracy=None,
            failure={"kind": "error", "message": "NameError: x", "hint": "define x"},
        ),
    ]
    shared = insights.common_problems(found)
    assert [(p.category, p.what, p.submissions) for p in shared[:2]] == [
        ("error", "environment", ("ann", "bob", "cy")),  # a line apart is the same problem
        ("old API", "Convolution2D", ("ann", "bob")),  # twice in one, other arguments: once
    ]
    assert ("failure", "error", ("dee",)) in [(p.category, p.what, p.submissions) for p in shared]


def test_moving_the_threshold_says_how_many_more_or_fewer_would_pass():
    # 55 points besides accuracy, pass mark 60: passing needs 5 of 45 accuracy points,
    # that is accuracy >= 0.1 + 0.3 * 5/45 = 0.1333 at full_at 0.4
    found = [_graded("ann", 0.13), _graded("bob", 0.135), _graded("cy", 0.30)]
    rows = {round(r["full_at"] - 0.4, 2): r for r in insights.threshold_shifts(found)}
    assert rows[0.0] == {"full_at": 0.4, "passing": 2, "change": 0, "today": True}
    assert rows[-0.04]["passing"] == 3 and rows[-0.04]["change"] == 1  # ann passes too
    # bob no longer: 0.1 + 0.34 * 5/45 = 0.1378 > 0.135
    assert (rows[0.04]["passing"], rows[0.04]["change"]) == (1, -1)


def test_quick_estimates_are_not_moved_and_problems_csv_sits_beside_grades_csv(tmp_path):
    quick = _graded("ann", 0.3, estimate={"verdict": "likely to pass"})
    assert insights.threshold_shifts([quick]) == []
    pages = publish.ClassPages(tmp_path, "title")
    pages.add(_graded("=cmd", 0.3, errors=[COLAB]), None, False)
    pages.close()
    with (tmp_path / insights.PROBLEMS).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"category": "error", "problem": "environment", "submissions": "'=cmd",
                     "count": "1", "hint": "that is Colab-only code"}]  # fmt: skip
    assert "What the class got wrong" in (tmp_path / "index.html").read_text()
