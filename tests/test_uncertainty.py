"""How sure a grade is: the rules that decide more seeds, and the quick estimate (pure
functions, no training; the trained cases are in test_seeds.py)."""

from __future__ import annotations

import statistics

import pytest

from grader import assignment
from grader.calibration import relation, store
from grader.judging import scoring, uncertainty
from grader.judging.checks import Check
from grader.spec_types import Uncertainty
from tests.conftest import SPEC

SPEC_ = assignment.load(str(SPEC))
FOLDER = SPEC_.reference_dir / store.FOLDER
QUICK_CAL = store._load(next(FOLDER.glob("cifar10_cnn-quick-*.json")))
# the standard calibration its relation was measured against: the same machine's (a
# calibration made here for another machine may lie beside it)
MACHINE = QUICK_CAL.path.stem.rsplit("-", 1)[1]
STANDARD_CAL = store._load(next(FOLDER.glob(f"cifar10_cnn-standard-*-{MACHINE}.json")))
ACC = SPEC_.spec.rubric.accuracy
SCALE = STANDARD_CAL.scale(ACC)


def others(*failing: str) -> list[Check]:
    """The rubric without accuracy: every rule met except those named."""
    rules = [
        Check(r.name, r.name not in failing, 0.0 if r.name in failing else r.points, r.points, "")
        for r in SPEC_.spec.rules
    ]
    required = {r.name for r in SPEC_.spec.rules if r.required}
    rules = [
        Check(c.name, c.passed, c.points, c.max_points, "", required=c.name in required)
        for c in rules
    ]
    runs = "runs" not in failing
    return [Check("runs", runs, 10.0 if runs else 0.0, 10.0, ""), *rules]


def graded_passes(checks: list[Check], acc: float) -> bool:
    points = scoring.accuracy_points(SCALE, acc)
    accuracy = Check(scoring.ACCURACY, points >= SCALE.points, points, SCALE.points, "")
    return scoring.passes(SPEC_, [*checks, accuracy])


@pytest.mark.parametrize("failing", [(), ("pooling", "dropout", "size"), ("input", "pooling")])
def test_pass_at_is_where_the_score_reaches_the_pass_mark(failing):
    checks = others(*failing)
    at = uncertainty.pass_at(SPEC_, SCALE, checks)
    assert at is not None and SCALE.zero_at < at < SCALE.full_at
    assert graded_passes(checks, at + 0.0005) and not graded_passes(checks, at - 0.002)


def test_pass_at_is_none_when_accuracy_cannot_change_passing():
    assert uncertainty.pass_at(SPEC_, SCALE, others("convolutions")) is None  # required
    hopeless = others(*(r.name for r in SPEC_.spec.rules if not r.required), "runs")
    assert not graded_passes(hopeless, 1.0)
    assert uncertainty.pass_at(SPEC_, SCALE, hopeless) is None


def test_more_seeds_only_near_a_threshold_and_within_the_limit():
    found = uncertainty.thresholds(SPEC_, SCALE, others())
    assert [t.name for t in found] == ["full points", "the pass mark"]
    rules, sd = Uncertainty(max_seeds=5, band_sd=2.0), 0.028
    full = SCALE.full_at
    assert uncertainty.more_seeds([full - 0.01], sd, rules, found) == 2
    assert uncertainty.more_seeds([full + 0.05], sd, rules, found) == 2  # within 2 x 0.028
    assert uncertainty.more_seeds([full + 0.06], sd, rules, found) == 0
    assert uncertainty.more_seeds([found[1].accuracy + 0.01], sd, rules, found) == 2
    # three seeds: the band narrows by sqrt(3), so a median 0.04 away is settled
    assert uncertainty.more_seeds([full + 0.04, full - 0.03, full + 0.05], sd, rules, found) == 0
    assert uncertainty.more_seeds([full + 0.02, full - 0.03, full + 0.05], sd, rules, found) == 2
    assert uncertainty.more_seeds([full] * 5, sd, rules, found) == 0
    assert uncertainty.more_seeds([full], sd, Uncertainty(max_seeds=1), found) == 0
    assert uncertainty.more_seeds([full] * 3, sd, Uncertainty(max_seeds=4), found) == 1


def test_record_replays_each_decision_and_grades_the_median():
    found = uncertainty.thresholds(SPEC_, SCALE, others())
    rules, sd = Uncertainty(max_seeds=5), 0.028
    accs = [0.350, 0.390, 0.340, 0.362, 0.371]
    runs = [{"seed": 1234 + i, "accuracy": a, "seconds": 1.0} for i, a in enumerate(accs)]
    rec = uncertainty.record(runs, sd, rules, found, None)
    assert [s["runs"] for s in rec["steps"]] == [1, 3, 5]
    assert rec["accuracy"] == statistics.median(accs) == 0.362
    assert rec["steps"][0]["near"]["name"] == "full points"
    assert accs[uncertainty.median_run(accs)] == 0.362
    assert "graded on 5 seeds (1234-1238)" in rec["summary"] and "median 0.362" in rec["summary"]
    one = uncertainty.record(runs[:1], sd, Uncertainty(max_seeds=5), found, None)
    assert one["steps"][0]["near"] and "graded on one seed" in one["summary"]


def test_fit_finds_a_known_relation():
    pairs = [(q, 0.1 + 1.5 * (q - 0.1)) for q in (0.2, 0.3, 0.35)]
    assert relation.fit(pairs, 0.1) == (1.5, 0.0)
    noisy = [(0.2, 0.26), (0.3, 0.39), (0.35, 0.47)]
    ratio, sd = relation.fit(noisy, 0.1)
    assert 1.4 < ratio < 1.6 and sd > 0


def test_bundled_quick_calibration_is_related_to_the_bundled_standard_one():
    assert relation.related(QUICK_CAL, STANDARD_CAL)
    rel = QUICK_CAL.content["relation"]
    names = {p["name"] for p in rel["pairs"]}
    assert {"solution.py", "good_cnn"} <= names and len(rel["pairs"]) >= 12
    fitted = relation.of(QUICK_CAL, ACC)
    assert fitted.standard_scale == SCALE
    assert 0 < fitted.residual_sd < 0.1


def quick_for(relation, standard: float) -> float:
    """The quick accuracy whose estimate is ``standard``."""
    return relation.chance + (standard - relation.chance) / relation.ratio


def test_estimate_says_likely_to_pass_only_when_the_whole_range_passes():
    fitted = relation.of(QUICK_CAL, ACC)
    width = SPEC_.spec.uncertainty.band_sd * fitted.residual_sd
    checks = others("pooling", "dropout", "size")
    at = uncertainty.pass_at(SPEC_, SCALE, checks)
    on_the_mark = uncertainty.estimate(SPEC_, fitted, checks, quick_for(fitted, at), [])
    low, high = on_the_mark["standard_accuracy_range"]
    assert on_the_mark["verdict"] == uncertainty.BORDERLINE
    assert low < at < high and high - low == pytest.approx(2 * width, abs=2e-4)
    assert on_the_mark["standard_score_range"][0] < SPEC_.spec.pass_mark * SPEC_.max_score
    above = uncertainty.estimate(SPEC_, fitted, checks, quick_for(fitted, at + width + 0.005), [])
    below = uncertainty.estimate(SPEC_, fitted, checks, quick_for(fitted, at - width - 0.005), [])
    assert above["verdict"] == uncertainty.LIKELY_PASS
    assert below["verdict"] == uncertainty.LIKELY_FAIL
    # a finding the quick budget hides caps the verdict at borderline
    hidden = uncertainty.hidden_by_quick(None, gap=True)
    capped = uncertainty.estimate(SPEC_, fitted, checks, quick_for(fitted, 0.45), hidden)
    assert capped["verdict"] == uncertainty.BORDERLINE and capped["why"] == hidden


def test_estimate_without_a_relation_never_promises_a_pass():
    best = uncertainty.estimate(SPEC_, None, others(), 0.9, [])
    assert best["verdict"] == uncertainty.BORDERLINE and "not related" in best["why"][0]
    failed_rule = uncertainty.estimate(SPEC_, None, others("convolutions"), 0.9, [])
    assert failed_rule["verdict"] == uncertainty.LIKELY_FAIL


def test_the_reference_is_likely_to_pass_with_every_calibrated_quick_seed():
    fitted = relation.of(QUICK_CAL, ACC)
    for acc in QUICK_CAL.accuracies:
        found = uncertainty.estimate(SPEC_, fitted, others(), acc, [])
        assert found["verdict"] == uncertainty.LIKELY_PASS, (acc, found)
