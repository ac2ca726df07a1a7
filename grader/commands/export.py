"""``grader export canvas|roster``: a results folder's grades into an LMS gradebook
(README, "Courses"; ``report/lms.py`` makes them). The exports a grading run writes
itself (Gradescope, JUnit) are ``commands/batch.export``'s."""

from __future__ import annotations

from pathlib import Path

from grader.reporting import lms


def run(args) -> int:
    roster = lms.read_roster(Path(args.roster)) if args.roster else None
    out, output = Path(args.out), Path(args.output)
    if args.lms == "canvas":
        done = lms.canvas(out, Path(args.gradebook), args.column, args.match, output, roster)
    else:
        done = lms.roster_csv(out, roster or [], output)
    for line in done.lines(output):
        print(line)
    return 0
