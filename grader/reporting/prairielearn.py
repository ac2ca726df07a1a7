"""PrairieLearn's ``results.json`` for an externally graded question: the score as a share
of the points, a test per rubric item with its points, the report's plots as images, and
``gradable: false`` when the grader itself failed (the student keeps the attempt). It stays
under PrairieLearn's 1 MiB limit: images are left out, largest first, until it fits."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

from grader.reporting import plots, problem_text
from grader.reporting.results import write_atomic
from grader.result_schema import Result
from grader.spec_types import OVERALL

RESULTS = Path("results") / "results.json"  # under the job's root, /grade
MAX_BYTES = 1024 * 1024  # PrairieLearn refuses a larger results.json
REJECTED = "rejected"  # the failure kind of a hand-in with nothing to run (collect.py)


LABELS = {"curves": "Training curves", "confusion": "Confusion matrix"}


def images(r: Result) -> list[dict]:
    """The student report's plots, as PrairieLearn shows images (data URLs)."""
    drawn = plots.for_submission(r.history, r.confusion, r.classes)
    return [
        {"label": LABELS[name], "url": f"data:image/svg+xml;base64,{_base64(svg)}"}
        for name, svg in drawn.items()
        if svg
    ]


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def result(r: Result, visibility: Callable[[str], str], summary: str) -> dict:
    """A graded (or failed) submission: gradable, its score in [0, 1], its rubric items as
    tests (items shown later are left out), ``summary`` (check's) as the output. A hand-in
    that is no notebook or module to run (``rejected``) is a format error: not gradable,
    so fixing it costs no attempt."""
    if r.failure and r.failure.get("kind") == REJECTED:
        why = f"{r.failure['message']}: {r.failure.get('hint', '')}".rstrip(": ")
        return {"gradable": False, "message": why, "format_errors": [why]}
    tests = [
        {
            "name": problem_text.item_name(c),
            "points": c["points"],
            "max_points": c["max_points"],
            "message": problem_text.item_text(c),
        }
        for c in r.checks
        if visibility(c["name"]) == "visible"
    ]
    everything = len(tests) == len(r.checks)
    if r.failure:
        headline = "\n".join(problem_text.lines(r.failure))
    elif r.not_passing_because and everything:
        headline = r.not_passing_because
    else:
        headline = f"Score {r.score:g} / {r.max_score:g}"
    return {
        "gradable": True,
        "score": min(1.0, max(0.0, round(r.score / r.max_score, 4))) if r.max_score else 0.0,
        "message": headline,
        "output": summary if everything and visibility(OVERALL) == "visible" else "",
        "tests": tests,
        "images": images(r) if visibility("accuracy") == "visible" else [],
    }


def fault(message: str) -> dict:
    """The grader could not grade: not gradable, so the attempt is not counted."""
    return {
        "gradable": False,
        "message": f"The grader could not grade this submission: {message}. This is a fault "
        "of the grading setup, not of your work: the attempt does not count; tell your "
        "instructor.",
        "format_errors": [],
    }


def write(root: Path, doc: dict) -> None:
    """``ROOT/results/results.json``, under 1 MiB (images dropped, largest first, if not)."""
    doc = {**doc, "images": list(doc.get("images", []))}
    text = json.dumps(doc, allow_nan=False)
    while len(text.encode()) > MAX_BYTES and doc["images"]:
        doc["images"].remove(max(doc["images"], key=lambda i: len(i["url"])))
        text = json.dumps(doc, allow_nan=False)
    write_atomic(root / RESULTS, text)
