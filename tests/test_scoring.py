import numpy as np

from grader import assignment
from grader.judging import checks, scoring


def test_accuracy_counts_nan_rows_as_wrong():
    preds = np.eye(10, dtype=np.float32)[[0, 1, 2, 3]]
    preds[3] = np.nan
    assert scoring.accuracy(preds, np.array([0, 1, 5, 3])) == 0.5


def test_accuracy_curve_is_linear_and_clamped():
    scale = scoring.Scale(points=50, full_at=0.4, zero_at=0.1, of_reference=1, reference_lowest=0.4)
    assert scoring.accuracy_points(scale, 0.05) == 0
    assert scoring.accuracy_points(scale, 0.25) == 25
    assert scoring.accuracy_points(scale, 0.9) == 50


ARCH = {
    "input_shape": [None, 32, 32, 3],
    "output_shape": [None, 10],
    "params": 1000,
    "loss": "categorical_crossentropy",
    "from_logits": False,
    "output": {"probabilities": True, "in_unit_interval": True},
    "layers": [
        {"class": "Conv2D", "name": "c1", "config": {"kernel_size": [3, 3], "strides": [1, 1]}},
        {"class": "MaxPooling2D", "name": "p"},
        {
            "class": "Functional",
            "name": "base",
            "layers": [{"class": "Conv2D", "name": "c2"}, {"class": "Dropout", "name": "d"}],
        },
        {"class": "Dense", "name": "out"},
    ],
}


def _fact(name, arch=ARCH):
    return checks.FACTS[name](arch)


def test_facts_see_nested_layers():
    assert _fact("conv_layers") == 2 and _fact("pooling_layers") == 1
    assert _fact("dropout_layers") == 1
    assert _fact("input_shape") == [32, 32, 3] and _fact("output_units") == 10


def test_output_head_is_judged_by_behaviour_and_loss():
    logits = {**ARCH, "output": {"probabilities": False, "in_unit_interval": False}}
    assert _fact("output_head") == "softmax"
    assert _fact("output_head", {**logits, "from_logits": True}) == "logits"
    assert _fact("output_head", logits) == "linear_with_probability_loss"
    assert _fact("output_head", {**logits, "loss": "mse"}) == "linear"
    assert _fact("classification_loss", {**ARCH, "loss": "sparse_categorical_crossentropy"})
    assert not _fact("classification_loss", {**ARCH, "loss": "binary_crossentropy"})


SCALE = scoring.Scale(points=45, full_at=0.4, zero_at=0.1, of_reference=1, reference_lowest=0.4)


def test_rubric_uses_the_spec_rules():
    a = assignment.load("cifar10_cnn")
    result = scoring.rubric(a, SCALE, None, ARCH, 0.5)
    assert all(c.passed for c in result)
    assert scoring.total(result) == a.max_score
    dense = {**ARCH, "layers": [{"class": "Flatten", "name": "f"}, {"class": "Dense", "name": "d"}]}
    lost = {c.name: c for c in scoring.rubric(a, SCALE, None, dense, 0.5) if not c.passed}
    assert set(lost) == {"convolutions", "pooling", "dropout"}
    assert lost["convolutions"].message == "expected at least 2 convolution layers, found 0"
    trap = {**ARCH, "output": {"probabilities": False, "in_unit_interval": False}}
    head = {c.name: c for c in scoring.rubric(a, SCALE, None, trap, 0.5)}["output_activation"]
    assert not head.passed and "trains badly with no warning" in head.message


def test_findings_name_the_silent_traps():
    strided = {
        **ARCH,
        "layers": [
            {
                "class": "Conv2D",
                "name": "conv2d",
                "trainable": True,
                "config": {"kernel_size": [3, 3], "strides": [3, 3]},
            },
            {"class": "Dense", "name": "d", "hidden": True},
        ],
    }
    found = checks.findings(strided, "one_hot")
    messages = " ".join(f["message"] for f in found)
    assert "has strides (3, 3)" in messages and "Conv2D(32, (3, 3)" in found[0]["hint"]
    assert "does not track it" in messages
    sparse = {**ARCH, "loss": "sparse_categorical_crossentropy"}
    assert "fed one-hot labels" in checks.findings(sparse, "one_hot")[0]["message"]
    assert checks.findings(ARCH, "one_hot") == []


def test_failed_run_scores_only_what_was_checked():
    a = assignment.load("cifar10_cnn")
    result = {c.name: c for c in scoring.rubric(a, SCALE, "TypeError: boom", None, None)}
    assert scoring.total(list(result.values())) == 0
    assert result["runs"].message == "TypeError: boom"
    assert result["convolutions"].message.startswith("not checked")


def test_a_large_train_test_gap_is_a_finding_with_its_causes():
    found = checks.generalisation(0.47, 0.12)
    assert len(found) == 1 and "0.470" in found[0]["message"] and "0.120" in found[0]["message"]
    assert "BatchNormalization" in found[0]["hint"]
    assert checks.generalisation(0.45, 0.44) == []  # normal after 3 epochs
    assert checks.generalisation(0.30, 0.50) == []  # dropout makes training look worse
    assert checks.generalisation(None, 0.4) == [] == checks.generalisation(0.9, None)
