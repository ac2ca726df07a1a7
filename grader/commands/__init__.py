"""One module per command, imported only when that command runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from grader import calibrate, pipeline, sandbox, terminal
from grader.assignment import Assignment, Limits
from grader.cli import LIMIT_FLAGS


def limits(args, assignment: Assignment) -> Limits:
    """The spec's limits with the command line's overrides."""
    given = {f: getattr(args, f"limit_{f}") for _, f, _, _ in LIMIT_FLAGS}
    return replace(assignment.spec.limits, **{k: v for k, v in given.items() if v is not None})


def export(args, results: list[dict]) -> None:
    """The exports asked for on the command line, and the GitHub step summary."""
    from grader.report import exports

    if args.gradescope and results:
        exports.gradescope(results, Path(args.gradescope))
    if args.junit:
        exports.junit(results, Path(args.junit))
    exports.step_summary(results)


def isolation(args) -> sandbox.Isolation:
    """Detect the isolation level once per command and say it loudly when it is weak."""
    found = sandbox.detect(args.sandbox)
    if found.level != sandbox.BUBBLEWRAP:
        terminal.say("grader: WARNING: submissions are NOT isolated: " + "; ".join(found.missing))
    return found


@contextmanager
def grading(
    args, spec: Assignment, budget_name: str, out: Path | None
) -> Iterator[pipeline.Context]:
    """The batch's context: data loaded and the sandbox chosen (calibrated() comes once
    the submissions are collected, so a usage error never waits for a calibration)."""
    with pipeline.context(
        spec, budget_name, args.data, out, limits(args, spec), isolation(args)
    ) as ctx:
        yield ctx


def calibrated(args, ctx: pipeline.Context) -> pipeline.Context:
    return calibrate.ensure(ctx, args.calibrate)
