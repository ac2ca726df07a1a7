"""What the class got wrong, for the instructor after a batch: the problems many
submissions share (failures, errors that did not stop them, findings, old APIs), and how
many would pass were the accuracy threshold elsewhere. Counted from the results alone."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.judging.scoring import ACCURACY, Scale, accuracy_points
from grader.reporting.results import inert, write_atomic
from grader.result_schema import Result

PROBLEMS = "problems.csv"
SHIFTS = (-0.04, -0.02, 0.0, 0.02, 0.04)  # the threshold moved by this much accuracy
SHOWN = 20  # problems on the page; problems.csv has every one


@dataclass(frozen=True)
class Shared:
    """One problem and the submissions that have it."""

    category: str  # failure, error, finding, old API
    what: str  # the failure's kind, the finding, the old call
    hint: str
    submissions: tuple[str, ...]


def common_problems(results: Iterable[Result]) -> list[Shared]:
    """Every problem at least one submission has, the most common first. A problem is the
    same when its category, what and hint are (messages name lines and values); an old API
    is the same call whatever its arguments, shown with its first translation."""
    found: dict[tuple[str, str, str], tuple[str, list[str]]] = {}

    def add(category: str, what: str, hint: str, submission: str, same: str | None = None):
        key = (category, what, hint if same is None else same)
        named = found.setdefault(key, (hint, []))[1]
        if submission not in named:
            named.append(submission)

    for r in results:
        if r.failure:
            add("failure", r.failure.get("kind", ""), r.failure.get("hint", ""), r.submission)
        for e in r.errors:
            what = e.get("kind") or _first_words(e.get("message", ""))
            add("error", what, e.get("hint", ""), r.submission)
        for f in r.findings:
            add("finding", _first_words(f.get("message", "")), f.get("hint", ""), r.submission)
        for t in r.translations:
            add("old API", t["call"].split("(")[0], t.get("modern", ""), r.submission, same="")
    rows = [Shared(c, w, hint, tuple(sorted(s))) for (c, w, _), (hint, s) in found.items()]
    return sorted(rows, key=lambda p: (-len(p.submissions), p.category, p.what))


def _first_words(message: str, most: int = 60) -> str:
    """A message's stable part: up to its first colon (numbers and lines follow it)."""
    head = message.split(":", 1)[0].strip()
    return head[:most]


def threshold_shifts(results: Iterable[Result]) -> list[dict]:
    """How many standard grades would pass with full accuracy points from a threshold moved
    by each of ``SHIFTS`` (the rest of each rubric as graded): ``full_at`` (the class's
    usual threshold, moved), ``passing``, ``change`` against today's."""
    graded = [r for r in results if r.accuracy is not None and r.accuracy_scale and not r.estimate]
    if not graded:
        return []
    usual = Counter(r.accuracy_scale["full_at"] for r in graded).most_common(1)[0][0]
    now = sum(1 for r in graded if r.passed)
    rows = []
    for shift in SHIFTS:
        passing = sum(1 for r in graded if _passes_at(r, r.accuracy_scale["full_at"] + shift))
        rows.append(
            {
                "full_at": round(usual + shift, 4),
                "passing": passing,
                "change": passing - now,
                "today": not shift,
            }
        )
    return rows


def _passes_at(r: Result, full_at: float) -> bool:
    """Whether ``r`` passes when full accuracy points start at ``full_at``."""
    s = r.accuracy_scale
    scale = Scale(s["points"], full_at, s["zero_at"], s["of_reference"], s["reference_lowest"])
    if full_at <= scale.zero_at:
        return r.passed
    points = accuracy_points(scale, r.accuracy)
    accuracy = next((c for c in r.checks if c["name"] == ACCURACY), None)
    if accuracy is None:
        return r.passed
    score = r.score - accuracy["points"] + points
    others_fail = [n for n in r.required_failed if n != ACCURACY]
    accuracy_fails = accuracy.get("required") and points < accuracy["max_points"]
    return score >= r.pass_mark and not others_fail and not accuracy_fails


def write_csv(out: Path, results: list[Result]) -> None:
    """problems.csv beside grades.csv: one row per shared problem, with who has it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["category", "problem", "submissions", "count", "hint"])
    for p in common_problems(results):
        writer.writerow(
            [
                p.category,
                inert(p.what),
                ";".join(map(str, map(inert, p.submissions))),
                len(p.submissions),
                inert(p.hint),
            ]
        )
    write_atomic(out / PROBLEMS, buffer.getvalue())


def context(results: list[Result]) -> dict:
    """The overview's "What the class got wrong" section: the most common problems (all
    of them are in problems.csv) and the threshold's shifts."""
    shared = common_problems(results)
    return {
        "common": shared[:SHOWN],
        "more_problems": max(0, len(shared) - SHOWN),
        "shifts": threshold_shifts(results),
    }
