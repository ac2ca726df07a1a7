"""``grader check``: a student's self-check of one submission (a file, or a student's
folder or zip, where the spec's ``submission_files`` pick the file). Exit 0 when it passes
(at a quick budget: is likely to pass), 1 when not, 3 when a quick run is too close to
call."""

from __future__ import annotations

from pathlib import Path

from grader import assignment
from grader.commands.batch import export, grade_single
from grader.judging import uncertainty
from grader.reporting import exports, terminal


def run(args) -> int:
    task = assignment.load(args.assignment)
    out = Path(args.out)
    result = grade_single(args, task, args.budget or task.spec.check_budget, Path(args.file), out)
    export(args, task, [result])
    exports.classroom(result)
    print(terminal.check_summary(result, str(out / result.submission / "result.json")))
    if result.estimate:
        return uncertainty.EXIT_STATUS[result.estimate["verdict"]]
    return 0 if result.passed else 1
