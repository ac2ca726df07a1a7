"""Same submission, same data, same budget: the same grade, bit for bit; thresholds come
from a calibration that must match, and the reference passes with every calibrated seed.

All at the tiny budget, with a private copy of the reference folder.
"""

import json
import pickle
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, EXAMPLES, REFERENCE, TINY, cli, results, spec_text

pytestmark = pytest.mark.slow

SAME = ("accuracy", "confusion", "score", "curves")


def _same(result: dict) -> dict:
    """What must not change between runs (the training time may)."""
    return {**result, "curves": result["history"]["curves"]}


def _spec(folder: Path, reference: Path, **changes) -> Path:
    path = folder / "assignment.toml"
    path.write_text(spec_text(**{**TINY, "reference": str(reference), **changes}))
    return path


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, data_path):
    """A reference folder with no calibration, graded once: the grader calibrates first."""
    root = tmp_path_factory.mktemp("fresh")
    ref = root / "reference"
    ref.mkdir()
    shutil.copy2(REFERENCE, ref / "solution.py")
    spec = _spec(root, ref)
    graded = root / "subs"
    graded.mkdir()
    shutil.copy2(REFERENCE, graded / "reference.py")
    out = root / "out"
    common = ["--data", data_path, "--assignment", str(spec)]
    done = cli("grade", str(graded), "--out", str(out), *common)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, spec, common, out, done


def test_grading_without_a_calibration_calibrates_first_and_keeps_it(fresh):
    root, spec, common, out, done = fresh
    assert "no calibration for budget 'standard'" in done.stderr
    assert "calibrating now with 5 seeds" in done.stderr
    files = list((root / "reference" / "calibrations").glob("*.json"))
    assert len(files) == 1
    again = cli("grade", str(root / "subs"), "--out", str(out), "--force", *common)
    assert again.returncode == 0 and "calibrating" not in again.stderr
    assert list((root / "reference" / "calibrations").glob("*.json")) == files
    up_to_date = cli("calibrate", "--seeds", "3", "--budget", "standard", *common)
    assert up_to_date.returncode == 0 and "up to date" in up_to_date.stderr


def test_reference_passes_with_every_seed_it_was_calibrated_on(fresh):
    root, _, _, out, _ = fresh
    (file,) = (root / "reference" / "calibrations").glob("*.json")
    cal = json.loads(file.read_text())
    graded = results(out)["reference"]
    threshold = graded["calibration"]["threshold"]
    assert graded["calibration"]["file"] == file.name
    assert threshold == cal["thresholds"]["full_points_at"]
    assert [r["seed"] for r in cal["runs"]] == [1234, 1235, 1236, 1237, 1238]
    assert all(r["accuracy"] >= threshold for r in cal["runs"])
    # Grading measures the reference exactly as calibration did with the grading seed.
    same_seed = next(r for r in cal["runs"] if r["seed"] == graded["seed"])
    assert graded["accuracy"] == same_seed["accuracy"]
    assert graded["calibration"]["margin"] == round(graded["accuracy"] - threshold, 4)
    accuracy = next(c for c in graded["checks"] if c["name"] == "accuracy")
    assert accuracy["passed"] and graded["passed"] and graded["score"] == graded["max_score"]


def test_no_calibrate_refuses_and_names_the_budget_that_differs(fresh, tmp_path):
    root, _, common, _, _ = fresh
    spec = _spec(tmp_path, root / "reference", epochs=2)
    out = tmp_path / "out"
    done = cli(
        "grade",
        str(EXAMPLES / "good_cnn.py"),
        "--out",
        str(out),
        "--no-calibrate",
        "--data",
        common[1],
        "--assignment",
        str(spec),
    )
    assert done.returncode == 2
    assert "budget.epochs: 2 here, 3 calibrated" in done.stderr
    assert "grader calibrate --budget standard" in done.stderr
    assert not out.exists() or not list(out.glob("*/result.json"))


def _altered_copy(folder: Path) -> Path:
    """The subset with one bit of each test image changed, in the official format."""
    copy = folder / "cifar-10-batches-py"
    shutil.copytree(DATA / "cifar-10-batches-py", copy)
    with (copy / "test_batch").open("rb") as f:
        batch = pickle.load(f, encoding="bytes")
    batch[b"data"][:, 0] ^= 1
    with (copy / "test_batch").open("wb") as f:
        pickle.dump(batch, f, protocol=4)
    return copy


def test_no_calibrate_refuses_and_names_other_data(fresh, tmp_path):
    _, spec, _, _, _ = fresh
    done = cli(
        "check",
        str(EXAMPLES / "good_cnn.py"),
        "--out",
        str(tmp_path / "out"),
        "--no-calibrate",
        "--data",
        str(_altered_copy(tmp_path)),
        "--assignment",
        str(spec),
    )
    assert done.returncode == 2
    assert "differs in data_fingerprint:" in done.stderr and "budget." not in done.stderr


def test_same_submission_gives_bit_identical_results_alone_and_side_by_side(tmp_path, data_path):
    spec = _spec(tmp_path, Path(TINY["reference"]))
    pair = tmp_path / "pair"
    pair.mkdir()
    for name in ("alice.py", "bob.py"):
        shutil.copy2(EXAMPLES / "good_cnn.py", pair / name)
    shutil.copy2(EXAMPLES / "dense_only.py", pair / "carol.py")
    common = ["--data", data_path, "--assignment", str(spec)]
    side = cli("grade", str(pair), "--out", str(tmp_path / "side"), "--jobs", "2", *common)
    assert side.returncode == 0, side.stderr[-2000:]
    alone = cli("grade", str(pair / "alice.py"), "--out", str(tmp_path / "alone"), *common)
    assert alone.returncode == 0, alone.stderr[-2000:]
    first = results(tmp_path / "alone")["alice"]
    again = cli(
        "grade", str(pair / "alice.py"), "--out", str(tmp_path / "alone"), "--force", *common
    )
    assert again.returncode == 0, again.stderr[-2000:]
    second = results(tmp_path / "alone")["alice"]
    assert second["duration_s"] != first["duration_s"]  # graded again, not reused
    both = results(tmp_path / "side")
    for r in (both["alice"], both["bob"], second):
        assert {k: _same(r)[k] for k in SAME} == {k: _same(first)[k] for k in SAME}
    assert first["seed"] == 1234 and first["threads"] == 2
    assert both["carol"]["accuracy"] != first["accuracy"]  # the comparison can fail
