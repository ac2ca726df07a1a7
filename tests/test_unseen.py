"""Submissions written the way students write them, which the grader was not built
against (tests/submissions/unseen/README.md): each gets the grade and the headline a fair
instructor would give, at the tiny budget, in one batch."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import SUBMISSIONS, results, tiny_batch

pytestmark = pytest.mark.slow

UNSEEN = SUBMISSIONS / "unseen"
CODE_TIME = 40  # the sleeper stops here; the fork bomb fills the process limit well before


@pytest.fixture(scope="module")
def batch(tmp_path_factory, data_path):
    paths = sorted(p for p in UNSEEN.iterdir() if p.suffix in (".py", ".ipynb"))
    out, _, _ = tiny_batch(tmp_path_factory, data_path, paths, "--jobs", "2", code_time_s=CODE_TIME)
    return out, results(out)


def _failure(batch, name: str) -> dict:
    r = batch[1][name]
    assert r["status"] == "failed", r["inferred"]
    return r["failure"]


def _graded(batch, name: str) -> dict:
    r = batch[1][name]
    assert r["status"] == "graded", r["failure"]
    assert r["accuracy"] is not None and r["accuracy"] > 0.12, r["accuracy"]  # it learned
    return r


def test_a_failed_import_is_the_headline_and_its_knock_on_errors_say_so(batch):
    f = _failure(batch, "import_cell_dies")
    assert (f["cell"], f["line"]) == (1, 9), f
    assert "tensorflow.keras.layers.experimental" in f["message"]
    assert "today's Keras" in f["hint"]
    knock_on = [e for e in batch[1]["import_cell_dies"]["errors"] if "NameError" in e["message"]]
    assert knock_on and all("consequence of the error at cell 1, line 9" in e["message"]
                            for e in knock_on)  # fmt: skip
    assert any("'Sequential'" in e["message"] for e in knock_on)


def test_a_script_whose_layer_import_failed_is_not_graded_as_if_complete(batch):
    f = _failure(batch, "script_name_chain")
    assert f["line"] == 6 and f["cell"] is None and "experimental" in f["message"]
    assert "notebook" not in f["hint"]


def test_a_name_never_imported_gets_its_import(batch):
    f = _failure(batch, "never_imported")
    assert "name 'Sequential' is not defined" in f["message"]
    assert "import it: `from tensorflow.keras.models import Sequential`" in f["hint"]


def test_a_script_goes_on_after_a_failing_plot_line(batch):
    r = _graded(batch, "script_plot_dies")
    bincount = [e for e in r["errors"] if "object too deep" in e["message"]]
    assert bincount and "bincount" in "".join(bincount[0]["excerpt"])
    assert all("notebook" not in e["hint"] for e in r["errors"])
    assert any("one top-level statement at a time: 2 failed" in i for i in r["inferred"])


def test_a_main_guarded_script_runs_as_from_the_command_line(batch):
    r = _graded(batch, "main_guarded")
    assert "fit" in r["model_source"]
    assert any('`if __name__ == "__main__":` block included' in i for i in r["inferred"])


def test_an_uncompiled_build_model_is_graded_with_the_compile_the_code_gave_it(batch):
    r = _graded(batch, "uncompiled_build_model")
    assert r["model_source"] == "build_model()"
    assert any("the compile() your code gave it later" in i for i in r["inferred"])
    assert r["architecture"]["optimizer"] == "Adam"


def test_a_gradient_tape_loop_is_graded_with_its_own_optimizer_and_loss(batch):
    r = _graded(batch, "gradient_tape_logits")
    chosen = next(i for i in r["inferred"] if "never compiled" in i)
    assert "your optimizer `optimizer`" in chosen and "your loss `loss_fn`" in chosen
    assert "from_logits=True" in chosen
    passed = {c["name"]: c["passed"] for c in r["checks"]}
    assert passed["output_activation"] and passed["loss"]


def test_a_model_left_without_its_failed_pretrained_base_takes_that_failure(batch):
    f = _failure(batch, "failed_base_caffe")
    assert (f["cell"], f["line"]) == (3, 1) and f["kind"] == "environment"
    assert "vgg16" in f["message"] and "grader weights add VGG16" in f["hint"]


def test_a_failed_add_to_an_abandoned_first_attempt_does_not_sink_the_model(batch):
    r = _graded(batch, "retry_after_failed_add")
    assert any(e["cell"] == 3 for e in r["errors"])  # the first attempt's add (cell 3)
    assert [x["class"] for x in r["architecture"]["layers"]].count("Conv2D") == 2


def test_caffe_style_inputs_are_repeated_on_the_test_images(batch):
    r = _graded(batch, "caffe_inputs_cnn")
    assert any("channels reversed" in i for i in r["inferred"]), r["inferred"]


def test_training_that_diverges_is_named_with_its_cause(batch):
    f = _failure(batch, "mlp_diverges")
    assert "training diverged" in f["message"] and "not scaled" in f["message"]
    assert batch[1]["mlp_diverges"]["accuracy"] is None


def test_a_model_over_the_size_rule_is_graded_losing_only_those_points(batch):
    r = _graded(batch, "wide_dense_5m")
    lost = {c["name"] for c in r["checks"] if not c["passed"]} - {"accuracy"}
    assert lost == {"size"}
    assert r["architecture"]["params"] == 5_265_802


def test_a_build_model_that_never_returns_stops_at_the_code_time_limit(batch):
    r = batch[1]["build_model_sleeps"]
    f = r["failure"]
    assert f["kind"] == "timeout" and f"{CODE_TIME} s" in f["message"]
    assert f["line"] == 33 and "line 33" in f["message"] and "exists" in "".join(f["excerpt"])
    assert r["duration_s"] < CODE_TIME + 20  # not the 120 s wall-time limit


def test_a_fork_bomb_is_a_process_limit_verdict(batch):
    f = _failure(batch, "fork_bomb")
    assert f["kind"] == "resources" and "processes and threads" in f["message"], f


def test_the_class_overview_says_a_failed_run_failed_to_run(batch):
    page = (batch[0] / "index.html").read_text()
    row = re.search(r"fork_bomb</a></td>\s*<td[^>]*>([^<]*)</td>", page)
    assert row and row[1] == "failed to run"


def _hash_line(out) -> str:
    return next(ln for ln in (out / "prints_hash" / "output.txt").read_text().splitlines()
                if ln.startswith("HASH"))  # fmt: skip


def test_the_hash_seed_is_pinned_in_fresh_stages(batch, tmp_path_factory, data_path):
    again, _, _ = tiny_batch(tmp_path_factory, data_path, [UNSEEN / "prints_hash.py"])
    assert _hash_line(batch[0]) == _hash_line(again)
    pinned = subprocess.run(
        [sys.executable, "-c", "print('HASH', hash('x'), hash(('a', 1)))"],
        env={"PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert _hash_line(batch[0]) == pinned  # seed 0, not a coincidence of two runs
    assert batch[1]["prints_hash"]["hash_seed"] == "0"
