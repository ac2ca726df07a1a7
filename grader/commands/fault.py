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
    if args.command == "classroom50":
        _classroom50_fault(args, message)
    if args.command == "prairielearn":
        from grader.reporting import prairielearn

        prairielearn.write(Path(args.root), prairielearn.fault(message))


def _classroom50_fault(args, message: str) -> None:
    """Classroom 50's result.json, unless the runner's environment itself is what is
    missing (then there is no one to write it for)."""
    import os

    from grader.errors import UsageError
    from grader.reporting import classroom50

    try:
        who = classroom50.identity(os.environ)
    except UsageError:
        return
    classroom50.write(Path(args.output), classroom50.fault(who, message))
