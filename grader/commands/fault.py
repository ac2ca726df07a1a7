"""When the grader could not grade: the course's tools still get a result that says so."""

from __future__ import annotations

from pathlib import Path


def record_fault(args, message: str) -> None:
    """The grader could not grade: the course's tools still get a result that says so
    (Gradescope's results.json, GitHub Classroom's runner result)."""
    from grader.reporting import exports

    if getattr(args, "gradescope", None):
        exports.gradescope_fault(Path(args.gradescope), message)
    if args.command == "check":
        exports.classroom(None, message)
