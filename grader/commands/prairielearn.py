"""``grader prairielearn``: the entry of a PrairieLearn external grader (README,
"PrairieLearn"): grade ``ROOT/student`` and write ``ROOT/results/results.json``. On a fault
of the grader the file says so with ``gradable: false``; the image's entry script exits 0
whenever the file is there, so PrairieLearn reads it."""

from __future__ import annotations

from pathlib import Path

from grader import assignment
from grader.commands.batch import grade_single
from grader.reporting import prairielearn, terminal
from grader.spec_types import STANDARD


def run(args) -> int:
    root = Path(args.root)
    task = assignment.load(args.assignment)
    out = root / "results" / "grader"  # the report, beside results.json
    result = grade_single(args, task, args.budget or STANDARD, root / "student", out)
    summary = terminal.check_summary(result, "the report")
    doc = prairielearn.result(result, task.spec.visibility_of, summary)
    prairielearn.write(root, doc)
    print(summary)
    return 0
