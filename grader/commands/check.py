"""``grader check``: a student's self-check of one submission (a file, or a student's
folder or zip, where the spec's ``submission_files`` pick the file). Exit 0 when it passes
(at a quick budget: is likely to pass), 1 when not, 3 when a quick run is too close to
call."""

from __future__ import annotations

from pathlib import Path

from grader import assignment, collect, pipeline
from grader.calibration import measuring
from grader.commands.batch import export, grading
from grader.errors import GraderFault, UsageError
from grader.judging import uncertainty
from grader.reporting import exports, publish, terminal
from grader.result_schema import Result


def run(args) -> int:
    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"{args.file}: no such file or folder")
    task = assignment.load(args.assignment)
    out = Path(args.out)
    with grading(args, task, args.budget or task.spec.check_budget, out) as ctx:
        # resolved: `grader check .` (a student's repository) takes the folder's name
        subs = [collect.one(path.resolve(), ctx.scratch, task.spec.submission_files)]
        ctx = measuring.ensure(ctx, args.calibrate)
        terminal.say(terminal.banner(ctx))
        found: list[Result] = []
        consumers = [
            *publish.to_folder(out, task.spec.title),
            publish.Each(lambda result, reused: found.append(result)),
        ]
        faults = pipeline.grade_all(subs, ctx, args.force, 1, consumers)
    if faults or not found:
        raise GraderFault(f"an internal error stopped grading {subs[0].id} (see above)")
    export(args, task, found)
    result = found[0]
    exports.classroom(result)
    print(terminal.check_summary(result, str(out / result.submission / "result.json")))
    if result.estimate:
        return uncertainty.EXIT_STATUS[result.estimate["verdict"]]
    return 0 if result.passed else 1
