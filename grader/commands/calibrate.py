"""``grader calibrate``: train the reference for several seeds per budget and write the
calibration files the accuracy thresholds come from; relate each other budget to the
standard one, so a quick check can estimate the grade."""

from __future__ import annotations

from dataclasses import replace

from grader import assignment
from grader.calibration import measuring, relation, store
from grader.calibration.store import Calibration, NoCalibration
from grader.commands.batch import grading
from grader.reporting import terminal
from grader.spec_types import STANDARD


def run(args) -> int:
    task = assignment.load(args.assignment)
    names = [STANDARD, *task.spec.budgets] if args.budget in (None, "all") else [args.budget]
    for name in names:
        task.spec.budget_named(name)  # an unknown name is a usage error before any work
    for name in names:
        with grading(args, task, name, out=None) as ctx:  # it writes beside the reference
            seeds = measuring.seeds_from(ctx, args.seeds)
            terminal.say(
                f"grader: calibrating budget '{name}' of {task.spec.name}: "
                f"{len(ctx.data.train.labels)} train / {len(ctx.data.test.labels)} test images, "
                f"{ctx.settings.budget.epochs} epochs, seeds {seeds[0]}..{seeds[-1]}"
            )
            cached = _cached(ctx, name, seeds)
            if cached is not None and not args.force:
                terminal.say(f"  up to date (--force to redo): {cached.path}")
                made = cached
            else:
                made = measuring.make(ctx, seeds)
            if name != STANDARD:
                made = _related(args, task, replace(ctx, calibration=made))
            print(report(name, made))
    return 0


def _related(args, task, quick) -> Calibration:
    """The quick budget's calibration, related to the standard one unless it already is."""
    with grading(args, task, STANDARD, out=None) as standard:
        standard = measuring.ensure(standard, allowed=False)
        if relation.related(quick.calibration, standard.calibration) and not args.force:
            return quick.calibration
        terminal.say(
            f"grader: relating budget '{quick.budget_name}' to '{STANDARD}': the reference's "
            "seeds at both, and the assignment's examples graded at both"
        )
        return measuring.relate(quick, standard)


def _cached(ctx, name: str, seeds: list[int]) -> Calibration | None:
    """A matching calibration that already covers these seeds."""
    try:
        found = store.find(ctx.assignment, name, ctx.settings.budget, ctx.data)
    except NoCalibration:
        return None
    return found if set(seeds) <= set(found.seeds) else None


def report(name: str, c: Calibration) -> str:
    s = c.summary()
    t = c.content["thresholds"]
    text = (
        f"{name}: reference accuracy mean {s['mean']:.4f} sd {s['sd']:.4f} "
        f"(lowest {s['lowest']:.4f}, highest {s['highest']:.4f}, {s['runs']} runs); "
        f"full points from {t['full_points_at']:.4f}, none at {t['zero_points_at']:.4f}\n"
        f"  {c.path}"
    )
    rel = c.content.get("relation")
    if rel:
        text += (
            f"\n  predicts the standard accuracy as {rel['chance']:g} + {rel['ratio']:g} x "
            f"(accuracy - {rel['chance']:g}), residual sd {rel['residual_sd']:.4f} over "
            f"{len(rel['pairs'])} pairs"
        )
    return text
