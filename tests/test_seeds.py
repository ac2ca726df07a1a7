"""A standard grade near a threshold is trained with more seeds and graded on their
median; far from every threshold it is trained once; the same grade every time. Real
training at the tiny budget, against calibrations written here: the threshold is what
these tests control, the accuracies are measured."""

from __future__ import annotations

import csv
import shutil
import statistics
from pathlib import Path

import pytest

from grader import assignment, data
from grader.calibration import store
from tests.conftest import EXAMPLES, REFERENCE, TINY, cli, grade_args, results, spec_text

pytestmark = pytest.mark.slow  # grades, or starts warm parents that import TensorFlow

SUB = EXAMPLES / "good_cnn.py"
SEEDS = 3


@pytest.fixture(scope="module")
def setup(tmp_path_factory, data_path) -> tuple[Path, Path]:
    """A spec allowing three seeds, beside a reference folder of its own."""
    folder = tmp_path_factory.mktemp("seeds_reference")
    shutil.copy2(REFERENCE, folder / REFERENCE.name)
    spec = tmp_path_factory.mktemp("seeds_spec") / "assignment.toml"
    spec.write_text(spec_text(**{**TINY, "reference": str(folder), "max_seeds": SEEDS}))
    return spec, tmp_path_factory.mktemp("seeds_out")


def calibrate(spec: Path, data_path: str, accuracies: list[float]) -> None:
    """A calibration for the tiny budget with these reference accuracies."""
    a = assignment.load(str(spec))
    budget = a.spec.budget
    grading = data.for_budget(data.load(data_path), budget.train_images, budget.test_images)
    runs = [
        {"reference": REFERENCE.name, "seed": budget.seed + i, "accuracy": acc, "seconds": 0.0}
        for i, acc in enumerate(accuracies)
    ]
    store.write(a, "standard", budget, grading, runs, "test")


def grade(spec: Path, out: Path, data_path: str, *options: str) -> dict:
    done = cli(*grade_args([SUB], spec, out, data_path, *options))
    assert done.returncode == 0, done.stderr[-3000:]
    result = results(out)[SUB.stem]
    result["_stdout"] = done.stdout
    return result


@pytest.fixture(scope="module")
def far(setup, data_path) -> dict:
    """Graded against a threshold far above it (0.95 x 0.9) with little seed noise."""
    spec, out = setup
    calibrate(spec, data_path, [0.95, 0.96, 0.97])
    return grade(spec, out, data_path)


@pytest.fixture(scope="module")
def near(setup, far, data_path) -> dict:
    """Graded again with the full-points threshold just above its first seed's accuracy."""
    spec, out = setup
    lowest = round((far["accuracy"] + 0.004) / 0.9, 4)
    calibrate(spec, data_path, [lowest, lowest + 0.03, lowest + 0.06])
    return grade(spec, out, data_path)


def test_far_from_every_threshold_is_trained_once(far):
    seeds = far["seeds"]
    assert [r["seed"] for r in seeds["runs"]] == [far["seed"]]
    assert seeds["steps"][0]["near"] is None and seeds["accuracy"] == far["accuracy"]
    for t in seeds["thresholds"]:
        assert abs(t["accuracy"] - far["accuracy"]) >= seeds["steps"][0]["band"]
    assert "graded on one seed" in seeds["summary"]


def test_just_below_the_threshold_is_graded_on_the_median_of_its_seeds(far, near):
    seeds = near["seeds"]
    runs = seeds["runs"]
    assert [r["seed"] for r in runs] == [near["seed"] + i for i in range(SEEDS)]
    assert runs[0]["accuracy"] == far["accuracy"]  # the same first seed, the same accuracy
    assert near["calibration"]["threshold"] > runs[0]["accuracy"]
    first = seeds["steps"][0]
    assert first["near"]["name"] == "full points" and first["runs"] == 1
    median = statistics.median(r["accuracy"] for r in runs)
    assert near["accuracy"] == seeds["accuracy"] == median
    accuracy = next(c for c in near["checks"] if c["name"] == "accuracy")
    assert f"{median:.3f}" in accuracy["message"]
    assert near["duration_s"] >= sum(r["seconds"] for r in runs) - 1
    assert f"median of {SEEDS} seeds" in near["_stdout"]


def test_the_report_and_gradebook_show_every_seed(setup, near):
    _, out = setup
    with (out / "grades.csv").open() as f:
        (row,) = csv.DictReader(f)
    assert row["seeds"] == str(SEEDS) and float(row["accuracy"]) == near["accuracy"]
    page = (out / SUB.stem / "report.html").read_text()
    shown = ", ".join(f"{r['accuracy']:.3f}" for r in near["seeds"]["runs"])
    assert f"graded on {SEEDS} seeds" in page and shown in page


def test_graded_again_on_bubblewrap_gives_the_same_seeds_accuracies_and_grade(
    setup, near, data_path
):
    """Again, through the other way into the sandbox: warm stages and bubblewrap train
    bit-identically, seed by seed."""
    spec, out = setup
    again = grade(spec, out, data_path, "--force", "--sandbox", "bubblewrap")
    assert (near["sandbox"]["level"], again["sandbox"]["level"]) == ("warm", "bubblewrap")

    def decided(r: dict) -> dict:
        seeds = {k: v for k, v in r["seeds"].items() if k != "runs"}
        runs = [(x["seed"], x["accuracy"]) for x in r["seeds"]["runs"]]
        return {
            "runs": runs,
            "seeds": seeds,
            **{k: r[k] for k in ("accuracy", "score", "passed", "confusion", "checks")},
        }

    assert decided(again) == decided(near)
