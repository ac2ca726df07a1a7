"""One small submission per architecture rule and per silent trap, graded for real in one
batch at a tiny budget; and the spec alone changes the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, TINY, cli, results, spec_text, tiny_batch

pytestmark = pytest.mark.slow

RULES = Path(__file__).resolve().parent / "rules"
# submission: (status, the checks that fail besides accuracy, words in a message or finding)
EXPECTED = {
    "one_conv": ("graded", {"convolutions"}, "expected at least 2 convolution layers, found 1"),
    "no_pooling": ("graded", {"pooling"}, "expected at least 1 pooling layer, found 0"),
    "no_dropout": ("graded", {"dropout"}, "expected at least 1 dropout layer, found 0"),
    "linear_prob_loss": ("graded", {"output_activation"}, "trains badly with no warning"),
    "logits_ok": ("graded", set(), "a linear output with from_logits=True"),
    "mse_loss": ("graded", {"loss"}, "found loss mse, not a categorical cross-entropy"),
    # a run that fails earns neither runs nor current_api ("not judged")
    # over the grader's parameter limit (50M): described, not trained (5M-50M: only `size`
    # is lost, tests/test_unseen.py)
    "too_big": ("failed", {"runs", "current_api", "size"}, "50,000,000 the grader can train"),
    "strides_trap": ("graded", set(), "has strides (3, 3)"),
    "any_size_input": ("graded", {"input"}, "found [None, None, 3]"),
    "frozen_base": ("graded", set(), ""),
    "subclassed_hidden": ("graded", set(), "does not track it"),
    "label_mismatch": ("graded", set(), "fed one-hot labels"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_path):
    out, _, _ = tiny_batch(tmp_path_factory, data_path, [RULES], "--jobs", "2")
    return results(out)


def _texts(result: dict) -> str:
    parts = [c["message"] for c in result["checks"]]
    parts += [f["message"] for f in result.get("findings", [])]
    parts += [(result["failure"] or {}).get("message", "")]
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rule_or_trap_is_reported(graded, name):
    status, failing, words = EXPECTED[name]
    result = graded[name]
    assert result["status"] == status, result["failure"]
    lost = {c["name"] for c in result["checks"] if not c["passed"]} - {"accuracy"}
    assert lost == failing
    assert words in _texts(result)
    for check in result["checks"]:  # a failed rule says how to fix it
        if not check["passed"] and check["name"] not in ("runs", "current_api", "accuracy"):
            assert check["hint"], check


def test_oversized_model_is_refused_in_seconds_before_its_weight_is_allocated(graded):
    big = graded["too_big"]
    assert big["failure"]["kind"] == "rejected"
    assert "65,634,154 parameters" in big["failure"]["message"]
    assert "GlobalAveragePooling2D" in big["failure"]["hint"]
    assert big["duration_s"] < 20


def test_frozen_base_is_counted_and_named(graded):
    arch = graded["frozen_base"]["architecture"]
    assert arch["frozen_params"] > 2_000_000 and 0 < arch["trainable_params"] < 20_000
    base = arch["layers"][0]
    assert base["name"].startswith("mobilenetv2") and base["trainable"] is False
    assert base["frozen_params"] == base["params"]


def test_subclassed_model_layers_are_found_by_their_calls(graded):
    result = graded["subclassed_hidden"]
    assert result["trained_in"] == "student"
    layers = result["architecture"]["layers"]
    assert [layer["class"] for layer in layers][:2] == ["Conv2D", "Conv2D"]
    assert layers[0].get("hidden") is True and not layers[1].get("hidden")
    checks = {c["name"]: c for c in result["checks"]}
    assert checks["output_activation"]["passed"]  # ops.softmax seen by behaviour


def test_label_mismatch_error_has_its_hint(graded):
    error = graded["label_mismatch"]["errors"][0]
    assert "sparse_categorical_crossentropy" in error["hint"] or "one-hot" in error["hint"]


def test_spec_alone_changes_rules_and_points(tmp_path, data_path):
    spec = tmp_path / "assignment.toml"
    text = spec_text(**TINY).replace("min = 2\npoints = 10", "min = 3\npoints = 20")
    text = text.replace("at least 2 convolution layers", "at least 3 convolution layers")
    spec.write_text(text)
    done = cli(
        "grade",
        str(EXAMPLES / "good_cnn.py"),
        "--out",
        str(tmp_path / "out"),
        "--data",
        data_path,
        "--assignment",
        str(spec),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "out" / "good_cnn" / "result.json").read_text())
    conv = next(c for c in result["checks"] if c["name"] == "convolutions")
    assert {k: conv[k] for k in ("passed", "points", "max_points", "message")} == {
        "passed": False,
        "points": 0.0,
        "max_points": 20,
        "message": "expected at least 3 convolution layers, found 2",
    }
    assert result["max_score"] == 110
