"""What the grading commands (grade, check, calibrate) share: the batch's context from
the command line, and the exports it asks for."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

from grader import pipeline
from grader.assignment import Assignment
from grader.cli import LIMIT_FLAGS
from grader.reporting import terminal
from grader.runner import cluster, pretrained, sandbox
from grader.spec_types import Limits


def limits(args, assignment: Assignment) -> Limits:
    """The spec's limits with the command line's overrides."""
    given = {f: getattr(args, f"limit_{f}") for _, f, _, _ in LIMIT_FLAGS}
    return replace(assignment.spec.limits, **{k: v for k, v in given.items() if v is not None})


def export(args, assignment: Assignment, results: list[dict]) -> None:
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
