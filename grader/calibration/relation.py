"""How a quick budget's accuracy relates to the standard one's: fitted on the
reference's accuracies at both budgets, stored in the quick calibration's file, and
used by ``grader check`` to estimate the instructor's grade."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from grader.calibration.store import Calibration, key_id
from grader.judging.scoring import Scale, scale_from
from grader.reporting import results
from grader.spec_types import AccuracyScale


@dataclass(frozen=True)
class Relation:
    """How a quick budget's accuracy predicts the standard one: proportional above chance,
    ``standard - chance = ratio x (quick - chance)``, with the residual spread measured on
    the reference's seeds and the assignment's examples at both budgets."""

    chance: float
    ratio: float
    residual_sd: float
    standard_scale: Scale

    def estimate(self, quick: float) -> float:
        return min(1.0, max(0.0, self.chance + (quick - self.chance) * self.ratio))


def fit(pairs: list[tuple[float, float]], chance: float) -> tuple[float, float]:
    """Least squares through (chance, chance): the ratio and the residuals' spread."""
    if len(pairs) < 2:
        raise ValueError("relating two budgets needs at least two pairs of accuracies")
    ratio = sum((q - chance) * (s - chance) for q, s in pairs) / sum(
        (q - chance) ** 2 for q, _ in pairs
    )
    residuals = [s - (chance + (q - chance) * ratio) for q, s in pairs]
    return round(ratio, 4), round(math.sqrt(sum(r * r for r in residuals) / (len(pairs) - 1)), 4)


def of(calibration: Calibration, spec_scale: AccuracyScale) -> Relation | None:
    """How this (quick) calibration's budget predicts the standard grade, when related."""
    found = calibration.content.get("relation")
    if not found:
        return None
    standard = scale_from(spec_scale, found["standard"]["lowest"])
    return Relation(found["chance"], found["ratio"], found["residual_sd"], standard)


def reference_pairs(quick: Calibration, standard: Calibration) -> list[dict]:
    """The reference's accuracy at both budgets, seed by seed."""
    at_standard = {(r["reference"], r["seed"]): r["accuracy"] for r in standard.content["runs"]}
    return [
        {"name": r["reference"], "seed": r["seed"], "quick": r["accuracy"], "standard": found}
        for r in quick.content["runs"]
        if (found := at_standard.get((r["reference"], r["seed"]))) is not None
    ]


def _standard_ref(standard: Calibration) -> dict:
    """Which standard calibration a relation was measured against."""
    return {
        "file": standard.path.name,
        "key": key_id(standard.content["key"]),
        "lowest": min(standard.accuracies),
    }


def related(quick: Calibration, standard: Calibration) -> bool:
    """Whether ``quick`` holds a relation to this very standard calibration."""
    found = quick.content.get("relation") or {}
    return found.get("standard") == _standard_ref(standard)


def relate(
    quick: Calibration, standard: Calibration, pairs: list[dict], chance: float
) -> Calibration:
    """Store in ``quick``'s file how its accuracy predicts the standard one (fitted on
    ``pairs`` of accuracies), atomically."""
    ratio, residual_sd = fit([(p["quick"], p["standard"]) for p in pairs], chance)
    relation = {
        "to": "standard",
        "standard": _standard_ref(standard),
        "model": "standard - chance = ratio x (quick - chance)",
        "chance": chance,
        "ratio": ratio,
        "residual_sd": residual_sd,
        "pairs": pairs,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    content = {**quick.content, "relation": relation}
    results.write_atomic(quick.path, json.dumps(content, indent=2) + "\n")
    return Calibration(quick.path, content)
