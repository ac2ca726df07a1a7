"""Calibration files: the threshold they give, and how a mismatch is found and named.

No training here: the runs are written by hand; test_reproducibility trains for real.
"""

import fcntl
import json
import random
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from grader import assignment, data, spec_types
from grader.calibration import store
from grader.calibration.store import NoCalibration
from grader.errors import UsageError
from grader.runner import machine
from tests.conftest import DATA, REFERENCE, spec_text


@pytest.fixture(scope="module")
def subset() -> data.GradingData:
    return data.for_budget(data.load(str(DATA)), 600, 300)


@pytest.fixture
def spec(tmp_path) -> assignment.Assignment:
    """The bundled spec with a private reference folder holding a copy of the solution."""
    ref = tmp_path / "reference"
    ref.mkdir()
    shutil.copy2(REFERENCE, ref / REFERENCE.name)
    path = tmp_path / "assignment.toml"
    path.write_text(spec_text(reference=str(ref)))
    return assignment.load(str(path))


RUNS = [
    {"reference": "solution.py", "seed": 1234 + i, "accuracy": a}
    for i, a in enumerate([0.4975, 0.412, 0.4789])
]


def _write(spec, subset, runs=RUNS):
    return store.write(spec, "standard", spec.spec.budget, subset, runs, "bubblewrap")


def test_threshold_is_at_or_below_every_run_of_the_reference():
    scale = spec_types.AccuracyScale(points=45, of_reference=1.0, zero_at=0.1)
    rng = random.Random(0)
    for _ in range(200):
        accs = [round(rng.uniform(0.1, 0.9), 4) for _ in range(rng.randint(1, 10))]
        runs = [{"seed": i, "accuracy": a} for i, a in enumerate(accs)]
        s = store.Calibration(Path(), {"runs": runs}).scale(scale)
        assert min(accs) - 1e-4 < s.full_at <= min(accs)
        assert s.reference_lowest == min(accs)


def test_written_file_holds_distribution_thresholds_and_provenance(spec, subset):
    c = _write(spec, subset)
    assert c.path.parent == spec.reference_dir / "calibrations"
    content = json.loads(c.path.read_text())
    assert content["distribution"]["runs"] == 3
    assert content["distribution"]["lowest"] == 0.412
    assert content["distribution"]["mean"] == round((0.4975 + 0.412 + 0.4789) / 3, 4)
    assert content["thresholds"]["full_points_at"] == 0.3708  # 0.9 x 0.412
    p = content["provenance"]
    assert p["data"]["fingerprint"] == subset.fingerprint
    assert p["seeds"] == [1234, 1235, 1236] and p["threads"] == 2
    assert p["isolation"] == "bubblewrap"
    assert {"grader", "tensorflow", "keras", "python"} <= set(p["versions"])
    assert p["versions"]["tensorflow"] and p["versions"]["keras"]
    assert p["created"]


def test_the_matching_calibration_is_found(spec, subset):
    made = _write(spec, subset)
    found = store.find(spec, "standard", spec.spec.budget, subset)
    assert found.path == made.path and found.seeds == [1234, 1235, 1236]


def test_another_budget_is_named(spec, subset):
    _write(spec, subset)
    other = replace(spec.spec.budget, epochs=5)
    with pytest.raises(NoCalibration, match=r"differs in budget\.epochs: 5 here, 3 calibrated$"):
        store.find(spec, "standard", other, subset)


def test_other_data_is_named(spec, subset):
    _write(spec, subset)
    images = subset.test.images.copy()
    images[0, 0, 0, 0] ^= 1  # one bit of one pixel
    changed = data.GradingData(
        subset.train, data.Split(images, subset.test.labels), subset.source, "f" * 64
    )
    with pytest.raises(NoCalibration) as caught:
        store.find(spec, "standard", spec.spec.budget, changed)
    message = str(caught.value)
    assert "data_fingerprint: ffffffffffff… (a hash of the images and labels) here" in message
    assert "budget." not in message and "tensorflow" not in message


def test_other_library_versions_are_named(spec, subset):
    made = _write(spec, subset)
    content = json.loads(made.path.read_text())
    here = content["key"]["tensorflow"]
    content["key"]["tensorflow"] = "2.20.0"
    made.path.write_text(json.dumps(content))
    with pytest.raises(NoCalibration, match=rf"tensorflow: {here} here, 2.20.0 calibrated"):
        store.find(spec, "standard", spec.spec.budget, subset)


def test_a_changed_reference_solution_is_named(spec, subset):
    _write(spec, subset)
    solution = spec.reference_dir / "solution.py"
    solution.write_text(solution.read_text() + "\n# tuned\n")
    with pytest.raises(NoCalibration, match=r"reference: solution.py [0-9a-f]{8} here"):
        store.find(spec, "standard", spec.spec.budget, subset)


def test_calibrations_travel_without_the_solution(spec, subset):
    """Shipped (say, to Gradescope) with the solution removed, a calibration still holds."""
    made = _write(spec, subset)
    (spec.reference_dir / "solution.py").unlink()
    assert store.find(spec, "standard", spec.spec.budget, subset).path == made.path


def test_an_empty_reference_folder_says_so(spec, subset):
    with pytest.raises(NoCalibration, match="holds none"):
        store.find(spec, "standard", spec.spec.budget, subset)


def test_bundled_calibrations_cover_the_subset_for_every_budget():
    spec = assignment.load("cifar10_cnn")
    full = data.load(str(DATA))
    for name in ["standard", *spec.spec.budgets]:
        budget = spec.spec.budget_named(name)
        subset = data.for_budget(full, budget.train_images, budget.test_images)
        found = store.find(spec, name, budget, subset)
        assert len(found.seeds) >= 5 and budget.seed in found.seeds


def test_a_budget_where_the_reference_is_at_chance_is_refused(spec, subset):
    runs = [*RUNS, {"reference": "solution.py", "seed": 1240, "accuracy": 0.09}]
    with pytest.raises(UsageError, match="only 0.0900 with seed 1240.*too small"):
        _write(spec, subset, runs)
    assert not (spec.reference_dir / "calibrations").exists()


def test_an_unwritable_calibration_folder_is_a_clear_error(spec, subset):
    (spec.reference_dir / "calibrations").write_text("a file where the folder goes")
    with pytest.raises(UsageError, match="cannot write the calibration into"):
        _write(spec, subset)


def test_one_grader_at_a_time_makes_a_calibration(spec):
    """A second grader that finds the reference being calibrated waits for the first,
    saying so (it then finds the first one's file: calibrate.ensure)."""
    path = spec.reference_dir / store.FOLDER / ".making"
    path.parent.mkdir()
    waited, entered = threading.Event(), threading.Event()

    def second() -> None:
        with store.one_maker(spec, waited.set):
            entered.set()

    with path.open("a") as first:
        fcntl.flock(first, fcntl.LOCK_EX)
        thread = threading.Thread(target=second)
        thread.start()
        assert waited.wait(10) and not entered.wait(0.5)
    thread.join(10)
    assert entered.is_set()
    calls: list[int] = []
    with store.one_maker(spec, lambda: calls.append(1)):  # nobody else: no wait
        assert calls == []


# Machines: a calibration knows the CPU it was measured on; the key does not include it,
# so a grade on another machine still finds it, and says what differs.

XEON = {
    "cpu": {
        "vendor": "GenuineIntel",
        "model": "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz",
        "features": ["avx", "avx2", "fma", "avx512f", "avx512bw", "amx_tile", "amx_bf16"],
    },
    "cores": 2,
    "onednn": "on",
}


def _from_another_machine(made: store.Calibration, name: str) -> Path:
    """The calibration as if measured on a Xeon with AVX-512 and AMX: same key."""
    content = json.loads(made.path.read_text())
    content["machine"] = {**XEON, "versions": content["machine"]["versions"]}
    path = made.path.with_name(name)
    path.write_text(json.dumps(content))
    return path


def test_a_calibration_records_this_machine_and_is_named_by_it(spec, subset):
    made = _write(spec, subset)
    here = machine.fingerprint()
    assert json.loads(made.path.read_text())["machine"] == here
    assert made.path.stem.endswith("-" + machine.identity(here))
    assert set(here["cpu"]["features"]) <= set(machine.KERNEL_FEATURES)
    assert here["cpu"]["model"] and here["cores"] >= 1 and here["onednn"] in ("on", "off")
    assert {"tensorflow", "keras", "numpy"} <= set(here["versions"])
    assert made.other_machine(here) is None


def test_a_calibration_from_another_machine_is_used_and_says_what_differs(spec, subset):
    made = _write(spec, subset)
    foreign = _from_another_machine(made, "zz-xeon.json")
    made.path.unlink()
    found = store.find(spec, "standard", spec.spec.budget, subset)
    assert found.path == foreign  # the grade still has a threshold: the key matches
    other = found.other_machine(machine.fingerprint())
    assert other is not None
    here = machine.fingerprint()["cpu"]
    assert f"cpu.model: {here['model']} here, Intel(R) Xeon(R)" in "; ".join(other["differences"])
    assert any(d.startswith("cpu.features: [") and "amx_tile" in d for d in other["differences"])
    assert "Intel(R) Xeon(R)" in other["calibrated_on"] and "amx_tile" in other["calibrated_on"]
    assert other["graded_on"] == machine.describe(machine.fingerprint())
    assert "grader calibrate --budget standard" in other["meaning"]
    assert f"sd {found.summary()['sd']:.3f}" in other["meaning"]


def test_the_calibration_of_this_machine_is_preferred(spec, subset):
    made = _write(spec, subset)
    _from_another_machine(made, "aa-xeon-sorts-first.json")
    assert store.find(spec, "standard", spec.spec.budget, subset).path == made.path


def test_a_calibration_without_a_recorded_machine_says_so(spec, subset):
    made = _write(spec, subset)
    content = json.loads(made.path.read_text())
    del content["machine"]
    made.path.write_text(json.dumps(content))
    found = store.find(spec, "standard", spec.spec.budget, subset)
    (said,) = found.other_machine(machine.fingerprint())["differences"]
    assert "not recorded in the calibration" in said
