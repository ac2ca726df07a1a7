"""Plain error records from exceptions, pointing at the submission's own lines."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")


class Failure(Exception):
    """One of the grader's own checks failed (no model, not compiled, too large...): a
    stable code and its facts; the trusted side words message and hint (grader/judging/verdict.py).
    ``errors`` are the student's recorded errors: when one of them caused this (the model
    is empty, or not compiled, because a line failed), that one is the headline."""

    def __init__(self, code: str, errors: list[dict] | None = None, **facts):
        super().__init__(code)
        self.code = code
        self.facts = facts
        self.errors = errors or []


# Filename given to compiled student code -> (cell number or None, source).
SOURCES: dict[str, tuple[int | None, str]] = {}


def excerpt(source: str, line: int | None, around: int = 2) -> list[str]:
    """Numbered lines around ``line``; the same format as the trusted side's."""
    if not line:
        return []
    lines = source.splitlines()
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return [f"{'>' if n == line else ' '}{n:4d} | {lines[n - 1]}" for n in range(lo, hi + 1)]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:400]


def record(exc: BaseException, kind: str | None = None) -> dict:
    """Exception -> {exception, message, cell, line, excerpt} at the deepest student frame."""
    filename, line = None, None
    if isinstance(exc, SyntaxError) and exc.filename in SOURCES:
        filename, line = exc.filename, exc.lineno
    else:
        filename, line = _student_frame(exc.__traceback__)
    cell, source = SOURCES.get(filename, (None, ""))
    out = {
        "exception": type(exc).__name__,
        "message": exc.msg if isinstance(exc, SyntaxError) else _one_line(exc),
        "cell": cell,
        "line": line,
        "excerpt": excerpt(source, line),
        "raised_in": _raised_in(exc.__traceback__),
    }
    if kind:
        out["kind"] = kind
    return out


def _raised_in(tb: TracebackType | None) -> str | None:
    """The package whose code raised (keras, tensorflow...), None for the student's own."""
    frames = [frame for frame, _ in traceback.walk_tb(tb)]
    if not frames or frames[-1].f_code.co_filename in SOURCES:
        return None
    return str(frames[-1].f_globals.get("__name__", "")).split(".")[0] or None


def root_cause(candidates: list[dict], everything: list[dict] | None = None) -> dict | None:
    """The error that kept the model from being, among ``candidates``: a knock-on error
    (a NameError for a name an earlier failure left unbound) gives way to the first link of
    its chain, found in ``everything``; then one raised inside Keras or TensorFlow (a
    layer, optimizer or download that failed) before one raised elsewhere, one with more
    knock-on errors before one with fewer, and any before a NameError; notes about
    stood-in modules never. The first of the best."""
    everything = everything if everything is not None else candidates
    by_id = {e["id"]: e for e in everything if "id" in e}
    roots = []
    for e in candidates:
        cause = e.get("cause")
        e = by_id.get(cause["id"], e) if isinstance(cause, dict) else e
        if not e.get("stood_in") and e not in roots:
            roots.append(e)

    def rank(e: dict) -> tuple:
        consequences = sum(1 for x in everything if (x.get("cause") or {}).get("id") == e.get("id"))
        return (
            e.get("raised_in") not in ("keras", "tensorflow"),
            -consequences if "id" in e else 0,
            e["exception"] == "NameError",
        )

    return min(roots, key=rank) if roots else None


def _student_frame(tb: TracebackType | None) -> tuple[str | None, int | None]:
    found = (None, None)
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename in SOURCES:
            found = (frame.f_code.co_filename, lineno)
    return found


def failure(code: str, facts: dict | None = None) -> dict:
    """The record of a failed check of the grader's own (see ``Failure``)."""
    return {
        "code": code,
        "facts": facts or {},
        "exception": "",
        "message": code,
        "cell": None,
        "line": None,
        "excerpt": [],
    }


def grader_fault(step: str, exc: BaseException) -> dict:
    """A fault of the grader's own code in the stage (inferring, describing, exporting):
    its record says so, and its traceback goes to the output the instructor reads."""
    print(f"grader fault while {step} (please report it):", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
    frames = traceback.extract_tb(exc.__traceback__)
    at = (
        f"{frames[-1].filename.rpartition('grader/')[2]} line {frames[-1].lineno}" if frames else ""
    )
    return {
        "exception": type(exc).__name__,
        "message": _one_line(exc),
        "cell": None,
        "line": None,
        "excerpt": [],
        "kind": "grader",
        "step": step,
        "at": at,
    }


def or_else(step: str, errors: list[dict], do: Callable[[], T], fallback: Callable[[], T]) -> T:
    """``do()``, or ``fallback()`` with a grader fault recorded when the grader's own code
    fails: the submission is graded as far as possible rather than failed. The grader's
    checks (``Failure``) still fail it."""
    try:
        return do()
    except Failure:
        raise
    except Exception as exc:
        errors.append(grader_fault(step, exc))
        return fallback()
