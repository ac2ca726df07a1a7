"""``grader grade``: grade files, folders and zips into a results folder."""

from __future__ import annotations

from pathlib import Path

from grader import assignment, collect, pipeline, terminal
from grader.commands import isolation, limits
from grader.errors import UsageError


def run(args) -> int:
    spec = assignment.load(args.assignment)
    out = Path(args.out)
    with pipeline.context(spec, args.data, out, limits(args, spec), isolation(args)) as ctx:
        subs, usage = collect.collect(args.paths, ctx.scratch)
        for problem in usage:
            terminal.say(f"grader: error: {problem}")
        if not subs:
            raise UsageError("nothing to grade")
        terminal.say(terminal.banner(ctx))
        tally = {"graded": 0, "failed": 0}

        def on_result(result: dict, reused: bool) -> None:
            tally[result["status"]] += 1
            terminal.print_line(result, reused)

        faults = pipeline.grade_all(subs, ctx, args.force, args.jobs, on_result)
    terminal.say(
        f"{len(subs)} submissions: {tally['graded']} graded, {tally['failed']} failed;"
        f" results in {out}/ (gradebook {out / 'grades.csv'})"
    )
    if faults:
        return 1
    return 2 if usage else 0
