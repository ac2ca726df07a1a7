"""Scoring: accuracy from the kept labels, then the rubric. Only this process decides."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.assignment import Assignment
from grader.judging.checks import Check, evaluate
from grader.spec_types import CURRENT_API, AccuracyScale

ACCURACY = "accuracy"  # the rubric item scored from the kept labels


@dataclass(frozen=True)
class Scale:
    """The accuracy curve in force: no points at ``zero_at`` (chance) and below, full
    points at ``full_at`` and above, linear between. ``full_at`` comes from calibration."""

    points: float
    full_at: float
    zero_at: float
    of_reference: float  # full_at is this share...
    reference_lowest: float  # ...of the reference's lowest calibrated accuracy


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Share of test images whose highest score is the true class (NaN rows count wrong)."""
    finite = np.isfinite(predictions).all(axis=1)
    right = (np.argmax(np.nan_to_num(predictions, nan=-np.inf), axis=1) == labels) & finite
    return float(right.mean())


def confusion(predictions: np.ndarray, labels: np.ndarray) -> list[list[int]]:
    """Counts of (true class, predicted class): aggregate, never per image."""
    predicted = np.argmax(np.nan_to_num(predictions, nan=-np.inf), axis=1)
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels.astype(int), predicted), 1)
    return matrix.tolist()


def split_accuracy(
    predictions: np.ndarray, labels: np.ndarray, private_share: float, seed: int
) -> tuple[float, float | None]:
    """Accuracy on the public and the private part of the test images, split the same way
    for every submission (fixed by ``seed``); no private part when its share is 0."""
    order = np.random.default_rng(seed).permutation(len(labels))
    kept = round(private_share * len(labels))
    private, public = order[:kept], order[kept:]
    on_public = round(accuracy(predictions[public], labels[public]), 4)
    return on_public, round(accuracy(predictions[private], labels[private]), 4) if kept else None


def scale_from(spec_scale: AccuracyScale, lowest: float) -> Scale:
    """The spec's curve with its threshold set from a calibration's lowest reference
    accuracy: at or below every run, so a reference-equivalent model gets full points."""
    full_at = min(round(spec_scale.of_reference * lowest, 4), lowest)
    return Scale(spec_scale.points, full_at, spec_scale.zero_at, spec_scale.of_reference, lowest)


def accuracy_points(scale: Scale, value: float) -> float:
    """Linear from zero at ``zero_at`` to full at ``full_at``."""
    share = (value - scale.zero_at) / (scale.full_at - scale.zero_at)
    return round(scale.points * min(1.0, max(0.0, share)), 2)


def accuracy_check(scale: Scale, acc: float | None) -> Check:
    """The accuracy item: points on the calibrated curve, or none when not measured."""
    if acc is None:
        return Check(
            ACCURACY, False, 0.0, scale.points, "not measured: the model was not trained to the end"
        )
    points = accuracy_points(scale, acc)
    return Check(
        ACCURACY,
        points >= scale.points,
        points,
        scale.points,
        f"test accuracy {acc:.3f}: full points from {scale.full_at:.3f} "
        f"({scale.of_reference:g} x the reference's {scale.reference_lowest:.3f}), "
        f"none at chance ({scale.zero_at:.3f})",
    )


def others(
    assignment: Assignment,
    failure_message: str | None,
    arch: dict | None,
    translations: list[dict] | None = None,
) -> list[Check]:
    """Every item of the rubric but accuracy: whether it ran, whether it ran on today's
    APIs as written, and the architecture rules."""
    spec = assignment.spec
    if failure_message is None:
        runs = Check(
            "runs",
            True,
            spec.rubric.runs,
            spec.rubric.runs,
            "the model was built, trained and evaluated",
        )
    else:
        runs = Check("runs", False, 0.0, spec.rubric.runs, failure_message)
    current = current_api(spec.rubric.current_api, failure_message, translations or [])
    return [runs, current, *evaluate(spec.rules, arch)]


def current_api(points: float, failure_message: str | None, translations: list[dict]) -> Check:
    """Earned when the code ran on today's Keras, NumPy and SciPy as written; lost, with
    the list, when it ran only through the grader's translations."""
    if translations:
        listed = "; ".join(
            f"{t['call']} -> {t['modern']}" + (f" (cell {t['cell']})" if t["cell"] else "")
            for t in translations[:5]
        )
        more = f"; and {len(translations) - 5} more" if len(translations) > 5 else ""
        return Check(
            CURRENT_API,
            False,
            0.0,
            points,
            f"ran only through {len(translations)} translation(s) of old APIs: {listed}{more}",
            hint="write these for current Keras, NumPy and SciPy (the report lists each)",
        )
    if failure_message is not None:
        return Check(CURRENT_API, False, 0.0, points, "not judged: the model did not run")
    return Check(CURRENT_API, True, points, points, "the code runs on today's APIs as written")


def rubric(
    assignment: Assignment,
    scale: Scale,
    failure_message: str | None,
    arch: dict | None,
    acc: float | None,
) -> list[Check]:
    return [*others(assignment, failure_message, arch), accuracy_check(scale, acc)]


def total(checks: list[Check], rules: tuple = ()) -> float:
    """The points of every check; a failed required rule with a ``cap`` caps them."""
    score = round(sum(c.points for c in checks), 2)
    failed = {c.name for c in required_failed(checks)}
    caps = [r.cap for r in rules if r.name in failed and r.cap is not None]
    return min([score, *caps])


def required_failed(checks: list[Check]) -> list[Check]:
    """Required rules that failed: the submission does not pass, whatever its score."""
    return [c for c in checks if c.required and not c.passed]


def passes(assignment: Assignment, checks: list[Check]) -> bool:
    """At or above the pass mark, with every required rule met."""
    score = total(checks, assignment.spec.rules)
    return score >= assignment.spec.pass_mark * assignment.max_score and not required_failed(checks)


def not_passing_because(checks: list[Check]) -> str | None:
    """Why a submission does not pass although its score may reach the pass mark."""
    failed = required_failed(checks)
    if not failed:
        return None
    return "not passing: " + "; ".join(
        f"required rule '{c.name}' failed: {c.message}" for c in failed
    )
