"""How sure a grade is (README, "How sure a grade is").

Brief training is noisy: the reference's accuracy spreads over seeds, and its calibration
measures how much. A standard grade whose accuracy lies within that noise of a threshold
that changes the outcome is trained again with the next seeds and graded on their median.
A quick check turns its accuracy into an estimate of the standard one, with the
uncertainty measured when the two budgets were related (``grader calibrate``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from grader.assignment import Assignment
from grader.calibration.relation import Relation
from grader.judging import checks
from grader.judging.checks import Check
from grader.judging.scoring import Scale, accuracy_check, passes, required_failed, total
from grader.spec_types import Uncertainty

LIKELY_PASS, BORDERLINE, LIKELY_FAIL = "likely to pass", "borderline", "likely to fail"
EXIT_STATUS = {LIKELY_PASS: 0, LIKELY_FAIL: 1, BORDERLINE: 3}  # of `grader check`


@dataclass(frozen=True)
class Threshold:
    """An accuracy at which the outcome changes."""

    name: str
    accuracy: float

    def to_json(self) -> dict:
        return {"name": self.name, "accuracy": self.accuracy}


def pass_at(assignment: Assignment, scale: Scale, others: list[Check]) -> float | None:
    """The accuracy at which the score reaches the pass mark, given the other checks'
    points; None when passing does not depend on accuracy."""
    if required_failed(others):
        return None
    need = assignment.spec.pass_mark * assignment.max_score - sum(c.points for c in others)
    if need <= 0 or need > scale.points:
        return None
    return round(scale.zero_at + need / scale.points * (scale.full_at - scale.zero_at), 4)


def thresholds(assignment: Assignment, scale: Scale, others: list[Check]) -> list[Threshold]:
    """Full accuracy points, and the pass mark when accuracy decides it."""
    found = [Threshold("full points", scale.full_at)]
    at = pass_at(assignment, scale, others)
    if at is not None:
        found.append(Threshold("the pass mark", at))
    return found


def band(sd: float, rules: Uncertainty, runs: int) -> float:
    """How far from a threshold a median of ``runs`` seeds is still within the noise:
    ``band_sd`` standard errors of one seed's spread."""
    return round(rules.band_sd * sd / math.sqrt(runs), 4)


def nearest(accuracy: float, width: float, found: list[Threshold]) -> Threshold | None:
    close = [t for t in found if abs(accuracy - t.accuracy) < width]
    return min(close, key=lambda t: abs(accuracy - t.accuracy), default=None)


def more_seeds(
    accuracies: Sequence[float], sd: float, rules: Uncertainty, found: list[Threshold]
) -> int:
    """How many further seeds to train: none when the median is clear of every threshold
    or the limit is reached, else two, so the median stays one real run's accuracy."""
    n = len(accuracies)
    if n >= rules.max_seeds:
        return 0
    if nearest(statistics.median(accuracies), band(sd, rules, n), found) is None:
        return 0
    return min(2, rules.max_seeds - n)


def median_run(accuracies: Sequence[float]) -> int:
    """The index of the run whose accuracy is the median (the first, on a tie)."""
    middle = statistics.median(accuracies)
    return min(range(len(accuracies)), key=lambda i: abs(accuracies[i] - middle))


def record(
    runs: list[dict], sd: float, rules: Uncertainty, found: list[Threshold], stopped: str | None
) -> dict:
    """What a result keeps: every seed's accuracy, each decision (replayed from the
    accuracies, as the grader took it) and a line for people."""
    accs = [r["accuracy"] for r in runs if r["accuracy"] is not None]
    steps, n = [], 1
    while n <= len(accs):
        width = band(sd, rules, n)
        near = nearest(statistics.median(accs[:n]), width, found)
        steps.append(
            {
                "runs": n,
                "median": statistics.median(accs[:n]),
                "band": width,
                "near": near.to_json() if near else None,
            }
        )
        n += more_seeds(accs[:n], sd, rules, found) or len(accs)
    graded = round(statistics.median(accs), 4)
    return {
        "runs": runs,
        "graded_on": "median",
        "accuracy": graded,
        "reference_sd": sd,
        "band_sd": rules.band_sd,
        "max_seeds": rules.max_seeds,
        "thresholds": [t.to_json() for t in found],
        "steps": steps,
        "stopped": stopped,
        "summary": summary(runs, steps, graded, stopped),
    }


def summary(runs: list[dict], steps: list[dict], graded: float, stopped: str | None) -> str:
    first = steps[0]
    if len(runs) == 1:
        where = (
            f"within {first['band']:.3f} of {first['near']['name']} at "
            f"{first['near']['accuracy']:.3f}; {stopped or 'max_seeds allows no more'}"
            if first["near"]
            else f"more than {first['band']:.3f} (the seed noise) from every threshold"
        )
        return f"graded on one seed ({runs[0]['seed']}): {graded:.3f}, {where}"
    shown = ", ".join("failed" if r["accuracy"] is None else f"{r['accuracy']:.3f}" for r in runs)
    line = (
        f"graded on {len(runs)} seeds ({runs[0]['seed']}-{runs[-1]['seed']}): {shown}; "
        f"median {graded:.3f}. The first seed's {first['median']:.3f} was within "
        f"{first['band']:.3f} (the seed noise) of {first['near']['name']} at "
        f"{first['near']['accuracy']:.3f}"
    )
    return line + (f"; {stopped}" if stopped else "")


def hidden_by_quick(arch: dict | None, gap: bool) -> list[str]:
    """Why a quick accuracy says little about the standard one for this model."""
    why = []
    if arch and checks.output_head(arch) == "linear_with_probability_loss":
        why.append(
            "a linear output with a probability loss trains erratically, and longer training "
            "can make it worse: the quick accuracy does not predict the standard one"
        )
    if gap:
        why.append(
            "the model predicts much worse than it trained (see the findings): its accuracy "
            "may change in either direction with longer training"
        )
    return why


def estimate(
    assignment: Assignment,
    relation: Relation | None,
    others: list[Check],
    quick: float | None,
    hidden: list[str],
) -> dict:
    """The standard grade a quick run predicts from its accuracy and the rest of its
    rubric (``others``), with its range, and a three-way verdict that says "likely to
    pass" only when the whole range passes."""
    rules = assignment.spec.uncertainty
    why = list(hidden)
    if relation is None:
        scale, middle, low, high = _any_scale(assignment), None, 0.0, 1.0
        why.append(
            "this budget is not related to the standard one yet (`grader calibrate` relates "
            "them): its accuracy cannot promise a pass"
        )
    elif quick is None:
        scale, middle, low, high = relation.standard_scale, None, None, None
    else:
        scale, middle = relation.standard_scale, round(relation.estimate(quick), 4)
        width = rules.band_sd * relation.residual_sd
        low, high = round(max(0.0, middle - width), 4), round(min(1.0, middle + width), 4)

    def graded(accuracy: float | None) -> tuple[float, bool]:
        found = [*others, accuracy_check(scale, accuracy)]
        return total(found, assignment.spec.rules), passes(assignment, found)

    (score_low, pass_low), (score_high, pass_high) = graded(low), graded(high)
    verdict = LIKELY_PASS if pass_low else LIKELY_FAIL if not pass_high else BORDERLINE
    if verdict == LIKELY_PASS and why:
        verdict = BORDERLINE
    return {
        "verdict": verdict,
        "standard_accuracy": middle,
        "standard_accuracy_range": None if low is None else [low, high],
        "standard_score": None if middle is None else graded(middle)[0],
        "standard_score_range": [score_low, score_high],
        "residual_sd": relation.residual_sd if relation else None,
        "band_sd": rules.band_sd,
        "why": why,
    }


def _any_scale(assignment: Assignment) -> Scale:
    """A stand-in scale when no relation gives the standard one: the range it is used
    with (0 to 1) spans no points to full points whatever the threshold."""
    spec = assignment.spec.rubric.accuracy
    return Scale(spec.points, 1.0, spec.zero_at, spec.of_reference, 1.0)
