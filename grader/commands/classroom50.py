"""``grader classroom50``: grade the checked-out repository the way Classroom 50's runner
asks an assignment's ``autograder.py`` to (README, "Classroom 50"): at the standard budget
with the bundled calibration, ``result.json`` in its schema. Exit 0 when graded, passing or
not; on a fault of the grader the file still says so (exit 1, or 2 for a usage error), and
the autograder.py exits 0 whenever the file is there, so the runner reads it."""

from __future__ import annotations

import os
from pathlib import Path

from grader import assignment
from grader.commands.batch import export, grade_single
from grader.reporting import classroom50, terminal
from grader.spec_types import STANDARD


def run(args) -> int:
    who = classroom50.identity(os.environ)  # before any work: a usage error is at once
    task = assignment.load(args.assignment)
    out = Path(args.out)
    result = grade_single(args, task, args.budget or STANDARD, Path(args.path), out)
    export(args, task, [result])
    classroom50.write(Path(args.output), classroom50.result(result, who, task.spec.visibility_of))
    print(terminal.check_summary(result, str(out / result.submission / "result.json")))
    return 0
