"""Writing results down as soon as they are known, atomically, and reusing them on a re-run."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from grader.result_schema import Result, UnreadableResult

RESULT = "result.json"
OUTPUT = "output.txt"  # what the submission printed, head and tail
LOST = "lost"  # the failure kind of a run whose machine died: not a verdict, graded again
GRADEBOOK = "grades.csv"
GRADEBOOK_FIELDS = [
    "submission",
    "status",
    "score",
    "max_score",
    "passed",
    "required_failed",  # required rules that failed (then not passing, whatever the score)
    "accuracy",
    "margin",  # accuracy minus the calibrated threshold for full points
    "seeds",  # how many seeds the accuracy is the median of
    "estimate",  # quick budgets: likely to pass, borderline, likely to fail
    "budget",
    "failure_kind",
    "duration_s",
    "model_source",
    "translations",  # old API calls the compatibility layer translated (0: none needed)
]
POINTS = "points:"  # then a column per rubric item, points earned: LMSs import per-item grades


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula


def write_atomic(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o644)  # shareable, like any file the instructor writes
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(out: Path, result: Result, output: str | None) -> None:
    folder = out / result.submission
    if output is not None:
        write_atomic(folder / OUTPUT, output)
    write_atomic(folder / RESULT, json.dumps(result.to_json(), indent=1))


def read(path: Path) -> Result:
    """A stored result, typed (an older version upgraded); UnreadableResult says why not."""
    try:
        return Result.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:  # UnreadableResult is a ValueError too
        raise UnreadableResult(str(exc)) from None


def reusable(out: Path, submission_id: str, key: str) -> Result | None:
    """The stored result when it was made from the same inputs (content, spec, data, grader)."""
    try:
        stored = read(out / submission_id / RESULT)
    except UnreadableResult:  # graded again, and written in this grader's schema
        return None
    return stored if stored.cache_key == key else None


def all_results(out: Path) -> list[Result]:
    """Every result in a results folder; one this grader cannot read is left out, and said."""
    found = []
    for path in sorted(out.glob(f"*/{RESULT}")):
        try:
            found.append(read(path))
        except UnreadableResult as exc:
            print(f"grader: {path}: left out, {exc}", file=sys.stderr)
    return found


def write_gradebook(out: Path, rows: list[Result]) -> None:
    """grades.csv: one row per result, in the order given, then a ``points:<check>`` column
    per rubric item (first seen first; blank where a result has no such check)."""
    items = dict.fromkeys(c["name"] for r in rows for c in r.checks or [])
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=GRADEBOOK_FIELDS + [POINTS + n for n in items], extrasaction="ignore"
    )
    writer.writeheader()
    for r in rows:
        failure = r.failure or {}
        writer.writerow(
            {
                **r.to_json(),
                "failure_kind": failure.get("kind", ""),
                "accuracy": _blank(r.accuracy),
                "margin": _blank((r.calibration or {}).get("margin")),
                "budget": (r.budget or {}).get("name", ""),
                "required_failed": ";".join(r.required_failed or []),
                "seeds": len((r.seeds or {}).get("runs", [])) or "",
                "estimate": (r.estimate or {}).get("verdict", ""),
                "translations": len(r.translations or []),
                **{POINTS + c["name"]: _blank(c.get("points")) for c in r.checks or []},
                "submission": inert(r.submission),
                "model_source": inert(r.model_source),
            }
        )
    write_atomic(out / GRADEBOOK, buffer.getvalue())


def inert(value: object) -> object:
    """A text cell a spreadsheet shows as text, never runs as a formula: a file named
    ``=HYPERLINK(...)`` or ``@SUM(...)`` becomes a submission id too."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _blank(value: object) -> object:
    """CSV cells: nothing for a value that was never measured."""
    return "" if value is None else value
