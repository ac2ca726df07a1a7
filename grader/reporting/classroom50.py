"""Classroom 50's ``result.json`` (schema ``classroom50/result/v1``): what its runner
reads back from an assignment's ``autograder.py``. One test per rubric item in whole
points (the schema's scores are integers); who and what was graded come from the
runner's environment. A fault of the grader is a result with no points to give
(max-score 0) that says so, never a missing file."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.reporting import problem_text
from grader.reporting.results import write_atomic
from grader.result_schema import Result
from grader.spec_types import OVERALL

SCHEMA = "classroom50/result/v1"
REQUIRED = ("CLASSROOM", "ASSIGNMENT", "SUBMISSION_TAG", "COMMIT_URL", "RELEASE_URL")
HIDDEN = "checks shown later"  # the test that holds the points of items not shown yet


@dataclass(frozen=True)
class Identity:
    """What the runner says was graded, for whom (``datetime``, ``owner`` and
    ``assignment_type`` it stamps again itself before it validates)."""

    classroom: str
    assignment: str
    submission: str
    commit: str
    release: str
    review: str
    owner: str
    assignment_type: str

    def fields(self) -> dict:
        return {
            "schema": SCHEMA,
            "classroom": self.classroom,
            "assignment": self.assignment,
            "assignment_type": self.assignment_type,
            "owner": self.owner,
            "submission": self.submission,
            "commit": self.commit,
            "release": self.release,
            "review": self.review,
            "datetime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }


def identity(env: Mapping[str, str]) -> Identity:
    """The runner's environment; a usage error names what is missing (the command runs
    under Classroom 50's runner, or with these set by hand to try it)."""
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise UsageError(
            f"not run by Classroom 50's runner: {', '.join(missing)} not set "
            "(its autograder.py runs `grader classroom50` with them)"
        )
    mode = env.get("MODE", "").strip().lower()
    return Identity(
        env["CLASSROOM"],
        env["ASSIGNMENT"],
        env["SUBMISSION_TAG"],
        env["COMMIT_URL"],
        env["RELEASE_URL"],
        env.get("REVIEW_URL") or env["COMMIT_URL"],
        env.get("OWNER") or env.get("USERNAME") or env.get("GITHUB_ACTOR") or "student",
        mode if mode in ("group", "team") else "individual",
    )


def whole(values: list[float], total: int) -> list[int]:
    """Whole numbers, each within one of its value, that add up to ``total`` (the largest
    remainders are rounded up)."""
    floors = [math.floor(v + 1e-9) for v in values]
    order = sorted(range(len(values)), key=lambda i: floors[i] - values[i])
    for i in order[: max(0, total - sum(floors))]:
        floors[i] += 1
    return floors


def result(r: Result, who: Identity, visibility: Callable[[str], str]) -> dict:
    """A graded (or failed) submission: its rubric items as tests; items the assignment
    hides until later add up in one test, and the score is the grade's, capped or not."""
    shown = [c for c in r.checks if visibility(c["name"]) == "visible"]
    hidden = [c for c in r.checks if visibility(c["name"]) != "visible"]
    items = [*shown, *([_merged(hidden)] if hidden else [])]
    max_score = round(r.max_score)
    tops = whole([c["max_points"] for c in items], max_score)
    earned = whole([c["points"] for c in items], round(sum(c["points"] for c in items)))
    tests = [
        {
            "test-name": problem_text.item_name(c),
            "passed": bool(c["passed"]),
            "score": min(got, top),
            "max-score": top,
            "message": c["message"],
            **({"hint": c["hint"]} if c.get("hint") else {}),
        }
        for c, got, top in zip(items, earned, tops, strict=True)
    ]
    if r.failure and visibility(OVERALL) == "visible":
        tests[0]["output"] = "\n".join(problem_text.lines(r.failure))
    score = min(round(r.score), max_score)
    return {**who.fields(), "score": score, "max-score": max_score, "tests": tests}


def _merged(hidden: list[dict]) -> dict:
    return {
        "name": HIDDEN,
        "passed": all(c["passed"] for c in hidden),
        "points": sum(c["points"] for c in hidden),
        "max_points": sum(c["max_points"] for c in hidden),
        "message": f"{len(hidden)} item(s) of the rubric are shown after the due date",
    }


def fault(who: Identity, message: str) -> dict:
    """The grader could not grade: no points to give (max-score 0), and a test that says
    it is the grader's fault, not the student's."""
    test = {
        "test-name": "grader",
        "passed": False,
        "score": 0,
        "max-score": 0,
        "message": f"the grader could not grade this submission: {message}. This is a "
        "fault of the grading setup, not of your work: tell your instructor.",
    }
    return {**who.fields(), "score": 0, "max-score": 0, "tests": [test]}


def write(path: Path, doc: dict) -> None:
    write_atomic(path, json.dumps(doc, indent=1) + "\n")
