import numpy as np

from grader import assignment, checks, scoring


def test_accuracy_counts_nan_rows_as_wrong():
    preds = np.eye(10, dtype=np.float32)[[0, 1, 2, 3]]
    preds[3] = np.nan
    assert scoring.accuracy(preds, np.array([0, 1, 5, 3])) == 0.5


def test_accuracy_curve_is_linear_and_clamped():
    scale = assignment.AccuracyScale(points=50, full_at=0.4, zero_at=0.1)
    assert scoring.accuracy_points(scale, 0.05) == 0
    assert scoring.accuracy_points(scale, 0.25) == 25
    assert scoring.accuracy_points(scale, 0.9) == 50


ARCH = {
    "input_shape": [None, 32, 32, 3],
    "output_shape": [None, 10],
    "params": 1000,
    "layers": [
        {"class": "Conv2D"},
        {"class": "MaxPooling2D"},
        {"class": "Functional", "layers": [{"class": "Conv2D"}, {"class": "Dropout"}]},
        {"class": "Dense"},
    ],
}


def test_facts_see_nested_layers():
    f = checks.facts(ARCH)
    assert f["conv_layers"] == 2 and f["pooling_layers"] == 1 and f["dropout_layers"] == 1
    assert f["input_shape"] == [32, 32, 3] and f["output_units"] == 10


def test_rubric_uses_the_spec_rules():
    a = assignment.load("cifar10_cnn")
    result = scoring.rubric(a, None, ARCH, 0.5)
    assert all(c.passed for c in result)
    assert scoring.total(result) == a.max_score
    dense = {**ARCH, "layers": [{"class": "Flatten"}, {"class": "Dense"}]}
    lost = {c.name: c for c in scoring.rubric(a, None, dense, 0.5) if not c.passed}
    assert set(lost) == {"convolutions", "pooling", "dropout"}
    assert lost["convolutions"].message == "expected at least 2 convolution layers, found 0"


def test_failed_run_scores_only_what_was_checked():
    a = assignment.load("cifar10_cnn")
    result = {c.name: c for c in scoring.rubric(a, "TypeError: boom", None, None)}
    assert scoring.total(list(result.values())) == 0
    assert result["runs"].message == "TypeError: boom"
    assert result["convolutions"].message.startswith("not checked")
