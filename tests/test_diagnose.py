import pytest

from grader import diagnose

CASES = [
    (
        "TypeError",
        "Dense.__init__() missing 1 required positional argument: 'units'",
        "error",
        "`units`",
    ),
    (
        "TypeError",
        "TensorFlowTrainer.fit() got an unexpected keyword argument 'nb_epoch'",
        "error",
        "epochs=",
    ),
    ("ValueError", "Argument(s) not recognized: {'lr': 0.01}", "error", "learning_rate"),
    (
        "ValueError",
        "Unrecognized keyword arguments passed to Conv2D: {'border_mode': 'same'}",
        "error",
        "padding",
    ),
    (
        "AttributeError",
        "'Sequential' object has no attribute 'fit_generator'",
        "error",
        "model.fit",
    ),
    (
        "AttributeError",
        "'Sequential' object has no attribute 'predict_classes'",
        "error",
        "np.argmax",
    ),
    ("ModuleNotFoundError", "No module named 'keras.layers.core'", "error", "keras.layers"),
    ("ImportError", "cannot import name 'np_utils' from 'keras.utils'", "error", "to_categorical"),
    ("ModuleNotFoundError", "No module named 'google.colab'", "environment", "Colab"),
    ("ModuleNotFoundError", "No module named 'seaborn'", "environment", "environment"),
    (
        "ValueError",
        "Arguments `target` and `output` must have the same shape. Received: ...",
        "error",
        "to_categorical",
    ),
    ("SyntaxError", "invalid syntax", "syntax", "bracket"),
    ("MemoryError", "", "memory", "memory"),
    (
        "FileNotFoundError",
        "[Errno 2] No such file or directory: 'model.h5'",
        "error",
        "empty folder",
    ),
]


@pytest.mark.parametrize(("exc", "message", "kind", "hint"), CASES)
def test_known_errors_get_kind_and_hint(exc, message, kind, hint):
    problem = diagnose.from_record(
        {"exception": exc, "message": message, "cell": 4, "line": 2, "excerpt": [">   2 | x"]}
    )
    assert problem.kind == kind
    assert hint in problem.hint
    assert problem.cell == 4 and problem.line == 2


def test_unknown_errors_get_the_default_hint():
    assert diagnose.hint_for("KeyError", "'foo'") == diagnose.DEFAULT_HINT
