"""Plain error records from exceptions, pointing at the submission's own lines."""

from __future__ import annotations

import traceback
from types import TracebackType


class Verdict(Exception):
    """A failure that is not a Python error in student code: no model, wrong output..."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


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
    }
    if kind:
        out["kind"] = kind
    return out


def _student_frame(tb: TracebackType | None) -> tuple[str | None, int | None]:
    found = (None, None)
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename in SOURCES:
            found = (frame.f_code.co_filename, lineno)
    return found


def problem(message: str, kind: str) -> dict:
    """A failure record that is not an exception (no model, wrong output size)."""
    return {
        "exception": "",
        "message": message,
        "kind": kind,
        "cell": None,
        "line": None,
        "excerpt": [],
    }
