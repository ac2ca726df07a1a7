"""``grader grade``: grade files, folders and zips into a results folder."""

from __future__ import annotations

from pathlib import Path

from grader import assignment, collect, pipeline
from grader.calibration import measuring
from grader.commands.batch import export, grading
from grader.errors import UsageError
from grader.reporting import publish, terminal
from grader.result_schema import Result
from grader.similarity import batch
from grader.spec_types import STANDARD


def run(args) -> int:
    task = assignment.load(args.assignment)
    out = Path(args.out)
    with grading(args, task, args.budget or STANDARD, out) as ctx:
        subs, usage = collect.collect(args.paths, ctx.scratch, task.spec.submission_files)
        for problem in usage:
            terminal.say(f"grader: error: {problem}")
        if not subs:
            raise UsageError("nothing to grade")
        if args.gradescope and len(subs) != 1:
            raise UsageError("--gradescope writes one submission's results: give one")
        ctx = measuring.ensure(ctx, args.calibrate)
        terminal.say(terminal.banner(ctx))
        found: list[dict] = []

        def similarity(stored: dict[str, Result]) -> None:
            done = batch.write(out, subs, stored, task, ctx.scratch)
            for problem in done.problems:
                terminal.say(f"grader: similarity: {problem}")
            terminal.say(f"grader: {done.summary(out)}")

        after = publish.AfterBatch(similarity)
        with terminal.Progress([s.id for s in subs]) as progress:

            def on_result(result: dict, reused: bool) -> None:
                found.append(result)
                progress.done(result, reused)

            consumers = [
                *publish.to_folder(out, task.spec.title, after=after),
                publish.Each(on_result),
            ]
            jobs = args.jobs or (ctx.cluster.threads() if ctx.cluster else 1)
            faults = pipeline.grade_all(subs, ctx, args.force, jobs, consumers, progress.started)
    export(args, task, found)
    failed = sum(1 for r in found if r.status == "failed")
    terminal.say(
        f"{len(subs)} submissions: {len(found) - failed} graded, {failed} failed; "
        f"results in {out}/ (class overview {out / 'index.html'}, gradebook "
        f"{out / 'grades.csv'})"
    )
    if faults or after.failed:
        return 1
    return 2 if usage else 0
