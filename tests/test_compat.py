"""Old Keras 1/2, NumPy 1, SciPy and matplotlib code, graded on its network through the
compatibility layer: submissions written the way Keras 1/2-era notebooks and scripts
are, each translation exact (call, cell, line, what ran), every surface saying it, strict
mode failing as before, and code that needs no translation graded exactly as before.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import pytest

from grader.reporting import terminal
from grader.result_schema import Result
from tests.conftest import EXAMPLES, SUBMISSIONS, results, tiny_batch

pytestmark = pytest.mark.slow

COMPAT = SUBMISSIONS / "compat"
KERAS1 = EXAMPLES / "keras1_cheatsheet.py"
GOOD = EXAMPLES / "good_cnn.py"

# (cell, line, what the student wrote, what ran), in the order the code made them.
EXPECTED = {
    "cheatsheet_mlp": [
        (2, 5, "import keras.utils.np_utils", "import keras.utils"),
        (4, 2, "Dense(output_dim=64)", "Dense(units=64)"),
        (4, 4, "Dense(output_dim=10)", "Dense(units=10)"),
        (5, 1, "SGD(lr=0.01)", "SGD(learning_rate=0.01)"),
        (6, 1, "fit(nb_epoch=5)", "fit(epochs=5)"),
        (8, 1, "predict_classes(x)", "argmax of predict(x)"),
        (8, 2, "predict_proba(x)", "predict(x)"),
    ],
    "conv_semantics": [
        (None, 9, "Convolution2D(32, 3, 3)", "Conv2D(32, (3, 3))"),
        (None, 9, "Conv2D(border_mode='same')", "Conv2D(padding='same')"),
    ],
    "keras1_cifar10_cnn": [
        (
            None,
            9,
            "keras.preprocessing.image.ImageDataGenerator",
            "tf.keras.preprocessing.image.ImageDataGenerator (or the keras.layers Random* "
            "augmentation layers)",
        ),
        (None, 11, "import keras.layers.core", "import keras.layers"),
        (None, 12, "import keras.layers.convolutional", "import keras.layers"),
        (None, 14, "import keras.utils.np_utils", "import keras.utils"),
        (None, 15, "keras.constraints.maxnorm", "keras.constraints.MaxNorm"),
        (None, 26, "int(array of shape (1,))", "int(array.item())"),
        (None, 26, "float(array of shape (1,))", "float(array.item())"),
        (None, 27, "np.float", "float (or np.float64)"),
        (None, 33, "Convolution2D(32, 3, 3)", "Conv2D(32, (3, 3))"),
        (None, 33, "Conv2D(border_mode='same')", "Conv2D(padding='same')"),
        (None, 35, "Convolution2D(32, 3, 3)", "Conv2D(32, (3, 3))"),
        (
            None,
            40,
            "Dense(init='he_normal', W_constraint=MaxNorm(...))",
            "Dense(kernel_initializer='he_normal', kernel_constraint=MaxNorm(...))",
        ),
        (None, 42, "Dropout(p=0.5)", "Dropout(rate=0.5)"),
        (
            None,
            46,
            "SGD(lr=0.01, decay=1e-06)",
            "SGD(learning_rate=InverseTimeDecay(0.01, 1, 1e-06))",
        ),
        (None, 55, "fit_generator(...)", "fit(...)"),
        (None, 55, "fit(nb_epoch=200)", "fit(epochs=200)"),
        (None, 58, "history['acc']", "history['accuracy']"),
        (None, 59, "predict_classes(x)", "argmax of predict(x)"),
        (
            None,
            60,
            "save_weights('cifar10_weights.h5')",
            "save_weights('cifar10_weights.weights.h5')",
        ),
        (
            None,
            61,
            "load_weights('cifar10_weights.h5')",
            "load_weights('cifar10_weights.weights.h5')",
        ),
    ],
    "keras2_notebook": [
        (2, 6, "import keras.layers.normalization", "import keras.layers"),
        (2, 7, "keras.constraints.maxnorm", "keras.constraints.MaxNorm"),
        (
            2,
            9,
            "keras.preprocessing.image.ImageDataGenerator",
            "tf.keras.preprocessing.image.ImageDataGenerator (or the keras.layers Random* "
            "augmentation layers)",
        ),
        (2, 11, "plt.style.use('seaborn-whitegrid')", "plt.style.use('seaborn-v0_8-whitegrid')"),
        (4, 12, "keras.optimizers.rmsprop", "keras.optimizers.RMSprop"),
        (
            4,
            12,
            "RMSprop(lr=0.001, decay=1e-06)",
            "RMSprop(learning_rate=InverseTimeDecay(0.001, 1, 1e-06))",
        ),
        (5, 1, "ModelCheckpoint('weights.best.hdf5')", "ModelCheckpoint('weights.best.keras')"),
        (5, 4, "fit_generator(...)", "fit(...)"),
        (5, 4, "fit(workers=4)", "fit() without workers"),
        (6, 1, "history['acc']", "history['accuracy']"),
        (6, 2, "history['val_acc']", "history['val_accuracy']"),
        (7, 1, "evaluate_generator(...)", "evaluate(...)"),
        (7, 3, "save_weights('cifar10_model.h5')", "save_weights('cifar10_model.weights.h5')"),
    ],
    "numpy1_habits": [
        (2, 3, "scipy.misc.imresize", "Image.fromarray(a).resize((w, h)) (Pillow)"),
        (2, 7, "plt.style.use('seaborn')", "plt.style.use('seaborn-v0_8')"),
        (3, 2, "np.int", "int (or np.int64)"),
        (3, 4, "int(array of shape (1,))", "int(array.item())"),
        (3, 8, "np.asscalar", "a.item()"),
        (4, 1, "np.float", "float (or np.float64)"),
        (4, 3, "np.int", "int (or np.int64)"),
    ],
    "combined_keras2": [
        (2, 7, "import keras.layers.core", "import keras.layers"),
        (2, 8, "import keras.layers.convolutional", "import keras.layers"),
        (2, 10, "import keras.utils.np_utils", "import keras.utils"),
        (2, 11, "plt.style.use('seaborn-darkgrid')", "plt.style.use('seaborn-v0_8-darkgrid')"),
        (3, 4, "np.float", "float (or np.float64)"),
        (3, 5, "np.float", "float (or np.float64)"),
        (4, 3, "Conv2D(border_mode='same')", "Conv2D(padding='same')"),
        (4, 5, "Conv2D(border_mode='same')", "Conv2D(padding='same')"),
        (
            4,
            10,
            "Dense(output_dim=256, init='he_normal')",
            "Dense(units=256, kernel_initializer='he_normal')",
        ),
        (
            4,
            14,
            "Adam(lr=0.001, decay=1e-06)",
            "Adam(learning_rate=InverseTimeDecay(0.001, 1, 1e-06))",
        ),
        (5, 1, "fit(nb_epoch=25)", "fit(epochs=25)"),
        (6, 1, "history['acc']", "history['accuracy']"),
        (6, 1, "history['val_acc']", "history['val_accuracy']"),
        (6, 2, "predict_classes(x)", "argmax of predict(x)"),
    ],
}


@pytest.fixture(scope="module")
def translated(tmp_path_factory, data_path):
    """Every realistic old-style submission, the Keras 1 example and good_cnn, graded
    with the bundled spec (mode = "translate")."""
    paths = [*sorted(COMPAT.iterdir()), KERAS1, GOOD]
    out, _, done = tiny_batch(tmp_path_factory, data_path, paths, "--jobs", "2")
    return out, results(out), done.stdout


@pytest.fixture(scope="module")
def strict(tmp_path_factory, data_path):
    paths = [KERAS1, COMPAT / "cheatsheet_mlp.ipynb", GOOD]
    out, _, _ = tiny_batch(tmp_path_factory, data_path, paths, "--jobs", "2", mode="strict")
    return results(out)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_old_code_reaches_its_model_with_exact_translations(translated, name):
    r = translated[1][name]
    assert r["status"] == "graded", r["failure"]
    found = [(t["cell"], t["line"], t["call"], t["translated_to"]) for t in r["translations"]]
    assert found == EXPECTED[name]
    assert all(t["modern"] for t in r["translations"])
    current = next(c for c in r["checks"] if c["name"] == "current_api")
    assert not current["passed"] and current["points"] == 0 < current["max_points"]
    assert f"ran only through {len(found)} translation(s)" in current["message"]
    assert "accuracy" in {c["name"] for c in r["checks"] if c["passed"]}  # it trained well


def test_the_cheatsheet_mlp_is_graded_but_does_not_pass(translated):
    r = translated[1]["cheatsheet_mlp"]
    assert r["required_failed"] == ["convolutions"] and not r["passed"]
    assert any("flattened to 3072 values per image" in s for s in r["inferred"])


def test_the_keras1_cheatsheet_cnn_passes(translated):
    r = translated[1]["keras1_cheatsheet"]
    assert r["status"] == "graded" and r["passed"]
    assert {c["name"] for c in r["checks"] if not c["passed"]} == {"current_api", "dropout"}


def test_convolution2d_means_a_kernel_and_conv2d_keeps_its_strides(translated):
    layers = translated[1]["conv_semantics"]["architecture"]["layers"]
    convs = [
        (x["config"]["kernel_size"], x["config"]["strides"])
        for x in layers
        if x["class"] == "Conv2D"
    ]
    assert convs == [([3, 3], [1, 1]), ([3, 3], [3, 3])]


def test_every_surface_says_it(translated):
    out, r, stdout = translated
    with (out / "grades.csv").open() as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    for name, expected in EXPECTED.items():
        assert rows[name]["translations"] == str(len(expected))
        line = next(x for x in stdout.splitlines() if x.split()[:2] == [name, "graded"])
        assert f"[old API: {len(expected)} translated]" in line
    assert rows["good_cnn"]["translations"] == "0"
    page = (out / "combined_keras2" / "report.html").read_text()
    assert "Runs only through the grader's translations" in page
    assert page.count("<tr><td>cell ") == len(EXPECTED["combined_keras2"])
    executed = nbformat.read(out / "combined_keras2" / "executed.ipynb", as_version=4)
    cell4 = "".join(o.get("text", "") for o in executed.cells[3].outputs)
    assert "translated `Dense(output_dim=256, init='he_normal')`" in cell4
    combined = Result.from_json(r["combined_keras2"])
    summary = terminal.check_summary(combined, "result.json").splitlines()
    first = summary.index(next(x for x in summary if "translation(s) of old" in x))
    assert first < summary.index(next(x for x in summary if "current_api" in x))
    assert "cell 4, line 14: Adam(lr=0.001, decay=1e-06) -> pass a schedule" in "\n".join(summary)


def test_code_that_needs_no_translation_grades_exactly_as_in_strict_mode(translated, strict):
    here, there = translated[1]["good_cnn"], strict["good_cnn"]
    assert here["translations"] == [] and there["translations"] == []
    assert here["accuracy"] == there["accuracy"] and here["score"] == there["score"]
    assert here["prediction_hash"] == there["prediction_hash"]
    for r in (here, there):
        assert next(c for c in r["checks"] if c["name"] == "current_api")["passed"]


def test_strict_mode_fails_old_code_as_written(strict):
    keras1, mlp = strict["keras1_cheatsheet"], strict["cheatsheet_mlp"]
    assert keras1["status"] == mlp["status"] == "failed"
    assert keras1["score"] == mlp["score"] == 0
    assert keras1["failure"]["line"] == 12 and "Convolution2D" in "".join(
        keras1["failure"]["excerpt"]
    )
    said = [mlp["failure"], *mlp["errors"]]
    assert any("`units`" in (e.get("hint") or "") for e in said)


def test_a_translated_grade_is_bit_identical_between_runs(translated, tmp_path_factory, data_path):
    first = translated[1]["keras1_cifar10_cnn"]
    out, _, _ = tiny_batch(tmp_path_factory, data_path, [COMPAT / "keras1_cifar10_cnn.py"])
    again = results(out)["keras1_cifar10_cnn"]
    assert again["prediction_hash"] == first["prediction_hash"] is not None
    assert again["accuracy"] == first["accuracy"] and again["score"] == first["score"]
    assert again["history"]["curves"] == first["history"]["curves"]
    assert again["translations"] == first["translations"]


PROBE = """
import json, numpy as np, keras
from grader.inside import compat, errors, patches
capture = patches.Capture()
log = compat.Translations(capture.note)
namespace = {}
compat.install(keras, namespace, log)
library = hasattr(np, "float")  # a library probing for NumPy 1: NumPy 2's answer
errors.SOURCES["<cell 1>"] = (1, "x = np.float")
exec(compile("x = np.float", "<cell 1>", "exec"), {"np": np})
print(json.dumps([library, log.found]))
"""


def test_libraries_probing_for_old_names_still_see_today_s_numpy():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    library, found = json.loads(done.stdout.strip().splitlines()[-1])
    assert library is False
    assert [(t["cell"], t["line"], t["call"]) for t in found] == [(1, 1, "np.float")]
