"""What the grading commands (grade, check, calibrate, classroom50, prairielearn) share:
the batch's context from the command line, one submission graded, and the exports."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

from grader import pipeline
from grader.assignment import Assignment
from grader.cli import LIMIT_FLAGS
from grader.errors import GraderFault, UsageError
from grader.reporting import terminal
from grader.result_schema import Result
from grader.runner import cluster, pretrained, sandbox
from grader.spec_types import Limits


def limits(args, assignment: Assignment) -> Limits:
    """The spec's limits with the command line's overrides."""
    given = {f: getattr(args, f"limit_{f}") for _, f, _, _ in LIMIT_FLAGS}
    return replace(assignment.spec.limits, **{k: v for k, v in given.items() if v is not None})


def export(args, assignment: Assignment, results: list[Result]) -> None:
    """The exports asked for on the command line, and the GitHub step summary."""
    from grader.reporting import exports

    visibility = assignment.spec.visibility_of
    if args.gradescope and results:
        exports.gradescope(results, Path(args.gradescope), visibility)
    if args.junit:
        exports.junit(results, Path(args.junit), visibility)
    exports.step_summary(results)


def isolation(args) -> sandbox.Isolation:
    """Detect the isolation level once per command and say it loudly when it is weak.
    On a cluster the workers detect theirs; this is the level they must have."""
    if getattr(args, "cluster", None):
        return cluster.expected(args.sandbox)
    found = sandbox.detect(args.sandbox)
    if not found.namespaced:
        terminal.say("grader: WARNING: submissions are NOT isolated: " + "; ".join(found.missing))
    return found


def grading(
    args, task: Assignment, budget_name: str, out: Path | None
) -> AbstractContextManager[pipeline.Context]:
    """The batch's context from the command line: data loaded, sandbox chosen. Commands
    calibrate it once the submissions are collected, so a usage error never waits."""
    return pipeline.context(
        task,
        budget_name,
        args.data,
        out,
        limits(args, task),
        isolation(args),
        pretrained.for_grading(args.weights),
        getattr(args, "cluster", None),
    )


def grade_single(args, task: Assignment, budget_name: str, path: Path, out: Path) -> Result:
    """One student's file, folder or zip (``grader check .`` takes a repository) graded
    into ``out``: its result, or a GraderFault when the grader could not grade it."""
    from grader import collect
    from grader.calibration import measuring
    from grader.reporting import publish

    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    with grading(args, task, budget_name, out) as ctx:
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
    return found[0]
