"""The bundled examples and the reference, graded at the standard budget on real data.

One batch, graded once for the module, in a fresh process that also reports which
modules the grader's own process had loaded at the end.
"""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, REFERENCE, ROOT, SPEC, cli, grade_args, results, spec_text

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
from grader.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory, data_path):
    folder = tmp_path_factory.mktemp("class")
    out = tmp_path_factory.mktemp("out")
    for path in EXAMPLES.iterdir():
        shutil.copy(path, folder / path.name)
    shutil.copy(REFERENCE, folder / "reference.py")
    forger = (ROOT / "tests" / "hostile" / "forger.py").read_text().replace("{{OUT}}", str(out))
    (folder / "forger.py").write_text(forger + "\n" + (EXAMPLES / "dense_only.py").read_text())
    # One seed each: the further seeds near a threshold have tests of their own
    # (test_seeds.py, at the tiny budget); here they would only add minutes.
    spec = tmp_path_factory.mktemp("spec") / "assignment.toml"
    spec.write_text(spec_text(max_seeds=1))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *grade_args([folder], spec, out, data_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    return probe, out, results(out), done.stdout


def test_grade_exits_0_and_imports_no_tensorflow_or_submission(batch):
    probe, *_ = batch
    assert probe["code"] == 0
    loaded = set(probe["modules"])
    assert not {m for m in loaded if m.split(".")[0] in ("tensorflow", "keras")}
    assert not loaded & {"good_cnn", "reference", "forger", "dense_only"}


def test_reference_and_good_examples_score_at_the_top(batch):
    _, _, r, _ = batch
    top = max(x["score"] for x in r.values())
    for name in ("reference", "good_cnn", "good_cnn_notebook"):
        assert r[name]["status"] == "graded"
        assert r[name]["score"] == top == r[name]["max_score"]
        assert r[name]["passed"]


def test_network_without_convolutions_scores_lower(batch):
    _, _, r, _ = batch
    dense = r["dense_only"]
    assert dense["status"] == "graded"
    assert dense["score"] < r["good_cnn"]["score"]
    assert dense["accuracy"] < r["good_cnn"]["accuracy"]
    lost = {c["name"] for c in dense["checks"] if not c["passed"]}
    assert "convolutions" in lost


def test_network_without_convolutions_does_not_pass_but_keeps_its_points(batch):
    """The bundled spec requires convolutions: partial credit, but no pass."""
    _, _, r, stdout = batch
    dense = r["dense_only"]
    assert dense["score"] == round(sum(c["points"] for c in dense["checks"]), 2)  # no cap
    assert dense["score"] >= dense["pass_mark"]  # the points alone would pass it...
    assert not dense["passed"] and dense["required_failed"] == ["convolutions"]  # ...not this
    assert "required rule 'convolutions' failed" in dense["not_passing_because"]


def test_keras1_submission_fails_with_a_hint_naming_units(batch):
    _, _, r, _ = batch
    broken = r["keras1_cheatsheet"]
    assert broken["status"] == "failed" and broken["score"] == 0
    failure = broken["failure"]
    assert failure["kind"] == "error"
    assert "`units`" in failure["hint"]
    assert failure["line"] == 12 and "output_dim" in "".join(failure["excerpt"])


def test_py_and_notebook_forms_get_the_same_accuracy(batch):
    _, _, r, _ = batch
    assert r["good_cnn"]["accuracy"] == r["good_cnn_notebook"]["accuracy"]
    assert r["good_cnn"]["history"]["curves"] == r["good_cnn_notebook"]["history"]["curves"]


def test_freeform_notebook_is_graded_quickly_and_explained(batch):
    _, _, r, _ = batch
    ff = r["freeform_colab"]
    assert ff["status"] == "graded" and ff["duration_s"] < 180
    assert ff["model_source"] == "variable `model`, fit in cell 12"
    assert any("skipped `!pip install tensorflow`" in s for s in ff["inferred"])
    assert any("images / 255" in s for s in ff["inferred"])
    colab = next(e for e in ff["errors"] if "google.colab" in e["message"])
    assert colab["cell"] == 4 and "Colab" in colab["hint"]
    assert ff["history"]["curves"]["loss"] and len(ff["history"]["curves"]["loss"]) == 3


def test_forged_results_change_nothing(batch):
    _, out, r, stdout = batch
    forger, honest = r["forger"], r["dense_only"]
    assert forger["accuracy"] == honest["accuracy"]
    assert forger["score"] == honest["score"] < forger["max_score"]
    assert '"score": 100' in (out / "forger" / "output.txt").read_text()


def test_result_contract_and_gradebook(batch):
    _, out, r, _ = batch
    fields = {
        "submission",
        "status",
        "score",
        "max_score",
        "accuracy",
        "checks",
        "failure",
        "errors",
        "duration_s",
        "model_source",
        "sandbox",
        "seed",
        "threads",
    }
    for result in r.values():
        assert fields <= set(result)
        for check in result["checks"]:
            assert {"name", "passed", "points", "max_points", "message"} <= set(check)
    with (out / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {row["submission"] for row in rows} == set(r)
    assert {
        "submission",
        "status",
        "score",
        "max_score",
        "accuracy",
        "margin",
        "budget",
        "failure_kind",
        "duration_s",
    } <= set(rows[0])
    broken = next(row for row in rows if row["submission"] == "keras1_cheatsheet")
    assert broken["failure_kind"] == "error" and broken["accuracy"] == broken["margin"] == ""
    good = next(row for row in rows if row["submission"] == "good_cnn")
    assert float(good["margin"]) == r["good_cnn"]["calibration"]["margin"] > 0
    assert good["budget"] == "standard"


def test_reference_reproduces_its_bundled_calibration_run(batch):
    """Graded today, the reference gets exactly the accuracy calibration measured with
    the grading seed (the calibration file was made earlier, in another process)."""
    _, _, r, _ = batch
    ref = r["reference"]
    bundled = json.loads(
        (REFERENCE.parent / "calibrations" / ref["calibration"]["file"]).read_text()
    )
    run = next(x for x in bundled["runs"] if x["seed"] == ref["seed"])
    assert ref["accuracy"] == run["accuracy"]
    assert ref["calibration"]["threshold"] <= min(x["accuracy"] for x in bundled["runs"])
    assert ref["calibration"]["margin"] >= 0 and ref["budget"]["name"] == "standard"


@pytest.fixture(scope="module")
def quick_batch(tmp_path_factory, data_path):
    """The same examples at the quick budget `grader check` uses."""
    folder = tmp_path_factory.mktemp("quick_class")
    for path in EXAMPLES.iterdir():
        shutil.copy(path, folder / path.name)
    shutil.copy(REFERENCE, folder / "reference.py")
    out = tmp_path_factory.mktemp("quick_out")
    done = cli(*grade_args([folder], SPEC, out, data_path, "--budget", "quick", "--no-calibrate"))
    assert done.returncode == 0, done.stderr
    return results(out)


def test_examples_keep_their_order_at_both_budgets(batch, quick_batch):
    _, _, standard, _ = batch
    quick = quick_batch
    names = sorted(quick)
    assert set(names) <= set(standard)
    for budget in (standard, quick):
        assert budget["good_cnn"]["score"] > budget["dense_only"]["score"]
        assert budget["dense_only"]["score"] > budget["keras1_cheatsheet"]["score"] == 0
    for a in names:
        assert quick[a]["budget"]["name"] == "quick"
        assert quick[a]["passed"] == standard[a]["passed"], a
        for b in names:
            if standard[a]["score"] > standard[b]["score"]:
                assert quick[a]["score"] >= quick[b]["score"], (a, b)
