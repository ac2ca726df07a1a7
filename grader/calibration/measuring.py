"""Calibrating: the reference solutions trained through the grading path, seed by seed.

The same sandbox, data, budget and measurement as a student's submission
(``pipeline.measure``), so the threshold is comparable with what students get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from grader import collect
from grader.calibration import relation, store
from grader.calibration.store import Calibration, NoCalibration
from grader.errors import UsageError
from grader.pipeline import Context, measure
from grader.reporting import terminal

DEFAULT_SEEDS = 5


def seeds_from(ctx: Context, count: int) -> list[int]:
    """The budget's own seed first, so the grading seed is always among those calibrated."""
    if count < 1:
        raise UsageError("--seeds must be at least 1")
    return [ctx.settings.budget.seed + i for i in range(count)]


def measure_reference(ctx: Context, seeds: list[int], on_run: Callable[[dict], None]) -> list[dict]:
    """One run per reference solution and seed; a failing reference is a usage error,
    since no threshold can come from it."""
    paths = store.solutions(ctx.assignment)
    if not paths:
        raise UsageError(f"no reference solution (.py or .ipynb) in {ctx.assignment.reference_dir}")
    subs, problems = collect.collect([str(p) for p in paths], ctx.scratch / "reference")
    if problems:
        raise UsageError("; ".join(problems))
    runs = []
    for sub in subs:
        for seed in seeds:
            m = measure(sub, ctx.with_seed(seed))
            if m.failure is not None:
                raise UsageError(
                    f"the reference {sub.entry.name} failed with seed {seed}: {m.failure.message}"
                )
            run = {
                "reference": sub.entry.name,
                "seed": seed,
                "accuracy": m.accuracy,
                "seconds": round(m.seconds, 2),
                "versions": m.outcome.get("versions", {}),
            }
            on_run(run)
            runs.append(run)
    return runs


def make(ctx: Context, seeds: list[int]) -> Calibration:
    """Calibrate the context's budget and write the file beside the reference."""
    runs = measure_reference(ctx, seeds, lambda r: terminal.say(run_line(r)))
    return store.write(
        ctx.assignment,
        ctx.budget_name,
        ctx.settings.budget,
        ctx.data,
        runs,
        ctx.settings.isolation.level,
    )


def run_line(run: dict) -> str:
    return (
        f"  {run['reference']:<20} seed {run['seed']:<6} accuracy {run['accuracy']:.4f}"
        f"  {run['seconds']:6.1f}s"
    )


WAITING = "grader: another grader is calibrating this reference now; waiting for its file"


def ensure(ctx: Context, allowed: bool) -> Context:
    """The context with its calibration: found, else made now (and kept), else refused."""
    budget = ctx.settings.budget
    try:
        found = store.find(ctx.assignment, ctx.budget_name, budget, ctx.data)
    except NoCalibration as missing:
        if not allowed:
            raise NoCalibration(
                f"{missing}. Run `grader calibrate --budget {ctx.budget_name}` with the "
                "same --assignment and --data, or drop --no-calibrate"
            ) from None
        with store.one_maker(ctx.assignment, lambda: terminal.say(WAITING)):
            found = _made_meanwhile(ctx) or _make_now(ctx, missing)
    return replace(ctx, calibration=found)


def _made_meanwhile(ctx: Context) -> Calibration | None:
    """The calibration another grader made while this one waited for it."""
    try:
        return store.find(ctx.assignment, ctx.budget_name, ctx.settings.budget, ctx.data)
    except NoCalibration:
        return None


def _make_now(ctx: Context, missing: NoCalibration) -> Calibration:
    seeds = seeds_from(ctx, DEFAULT_SEEDS)
    terminal.say(f"grader: {missing}")
    terminal.say(
        f"grader: calibrating now with {len(seeds)} seeds (kept for next time; "
        "`grader calibrate` does this ahead of time)"
    )
    found = make(ctx, seeds)
    terminal.say(f"grader: wrote {found.path}")
    return found


def relate(quick: Context, standard: Context) -> Calibration:
    """How the quick budget predicts the standard grade, stored with its calibration: the
    reference's seeds at both budgets, and the assignment's examples graded at both."""
    assert quick.calibration is not None and standard.calibration is not None
    pairs = relation.reference_pairs(quick.calibration, standard.calibration)
    folder = quick.assignment.directory / "examples"
    subs, _ = (
        collect.collect([str(folder)], quick.scratch / "examples") if folder.is_dir() else ([], [])
    )
    for sub in subs:
        fast, full = measure(sub, quick), measure(sub, standard)
        if fast.accuracy is None or full.accuracy is None:
            terminal.say(f"  {sub.id:<20} not graded at both budgets: left out")
            continue
        pairs.append(
            {
                "name": sub.id,
                "seed": quick.settings.budget.seed,
                "quick": fast.accuracy,
                "standard": full.accuracy,
            }
        )
        terminal.say(f"  {sub.id:<20} quick {fast.accuracy:.4f}  standard {full.accuracy:.4f}")
    chance = quick.assignment.spec.rubric.accuracy.zero_at
    return relation.relate(quick.calibration, standard.calibration, pairs, chance)
