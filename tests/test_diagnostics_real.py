"""Every error pattern in the research notes, raised by the real Keras in a child process,
must get its kind and its hint (so a Keras upgrade that changes a message is caught)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from grader.judging import verdict

pytestmark = pytest.mark.slow

SETUP = """
import json, sys, numpy as np, keras, tensorflow as tf
x = np.zeros((8, 32, 32, 3), "float32")
y_int = np.zeros((8,), "int32")
y_onehot = np.eye(10, dtype="float32")[y_int]

def small(loss="sparse_categorical_crossentropy"):
    m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
    m.compile("adam", loss)
    return m
"""

# case: (student code, failure kind, words the hint must contain)
CASES = {
    "output_dim": ("keras.layers.Dense(output_dim=64, input_dim=100)", "error", "`units`"),
    "nb_epoch": ("small().fit(x, y_int, nb_epoch=5)", "error", "epochs="),
    "lr": ("keras.optimizers.SGD(lr=0.01)", "error", "learning_rate="),
    "border_mode": ("keras.layers.Convolution2D(32, 3, 3, border_mode='same')", "error", "padding"),
    "init": ("keras.layers.Dense(10, init='uniform')", "error", "kernel_initializer"),
    "dim_ordering": ("keras.layers.MaxPooling2D(dim_ordering='th')", "error", "channels-last"),
    "mode": ("keras.layers.BatchNormalization(mode=0)", "error", "Keras 1"),
    "fit_generator": ("small().fit_generator(iter([]))", "error", "model.fit"),
    "predict_classes": ("small().predict_classes(x)", "error", "np.argmax"),
    "layers_core": ("from keras.layers.core import Dense", "error", "keras.layers"),
    "np_utils": ("from keras.utils import np_utils", "error", "to_categorical"),
    "optimizers_legacy": ("keras.optimizers.legacy.Adam()", "error", "keras.optimizers.Adam"),
    "optimizer_lr": ("keras.optimizers.Adam().lr", "error", "learning_rate"),
    "pool_size": ("keras.layers.AveragePooling2D()", "error", "pool_size"),
    "save_extension": ("small().save('mymodel')", "error", ".keras"),
    "save_weights": ("small().save_weights('w.h5')", "error", ".weights.h5"),
    "wrappers": ("import keras.wrappers.scikit_learn", "error", "scikeras"),
    "get_session": ("keras.backend.get_session()", "error", "TensorFlow 1"),
    "set_image_dim_ordering": (
        "keras.backend.set_image_dim_ordering('tf')",
        "error",
        "TensorFlow 1",
    ),
    "image_data_generator": (
        "keras.preprocessing.image.ImageDataGenerator()",
        "error",
        "ImageDataGenerator",
    ),
    "int_labels_categorical": (
        "small('categorical_crossentropy').fit(x, y_int, verbose=0)",
        "error",
        "to_categorical",
    ),
    "onehot_labels_sparse": (
        "small().fit(x, y_onehot, verbose=0)",
        "error",
        "categorical_crossentropy",
    ),
    "colab": ("from google.colab import drive", "environment", "Colab"),
    "missing_package": ("import wandb", "environment", "`wandb`"),  # not in any extra
    "missing_file": ("open('best_model.h5')", "error", "empty folder"),
    "syntax": ("compile('print(1', '<cell 3>', 'exec')", "syntax", "bracket"),
    # Keras 3 and the grading machine: errors a student cannot see at home.
    "idg_import": (
        "from keras.preprocessing.image import ImageDataGenerator",
        "error",
        "tensorflow.keras.preprocessing.image",
    ),
    "checkpoint_hdf5": ("keras.callbacks.ModelCheckpoint('best.hdf5')", "error", "best.keras"),
    "rmsprop_factory": (
        "keras.optimizers.rmsprop(learning_rate=0.001)",
        "error",
        "keras.optimizers.RMSprop(",
    ),
    "adam_factory": ("keras.optimizers.adam(lr=0.001)", "error", "keras.optimizers.Adam("),
    "plot_model": (
        "keras.utils.plot_model(small(), to_file='m.png')",
        "environment",
        "Graphviz",
    ),
    "gpu_only": (
        "tf.config.experimental.set_memory_growth(tf.config.list_physical_devices('GPU')[0], True)",
        "error",
        "no GPU",
    ),
    "colab_path": ("open('/content/drive/MyDrive/model.h5', 'wb')", "error", "Colab path"),
    "assert_size": ("assert x.shape == (50000, 32, 32, 3)", "error", "fewer images"),
    "randint_size": ("x[np.random.randint(0, 49999, 10)]", "error", "fewer images"),
    "reshape_size": ("x.reshape(10000, 3072)", "error", "fewer images"),
}

PROBE = (
    SETUP
    + """
seen = {}
for name, code in json.loads(sys.argv[1]).items():
    try:
        exec(code)
        seen[name] = None
    except BaseException as exc:
        seen[name] = [type(exc).__name__, " ".join(str(exc).split())[:400]]
print("SEEN " + json.dumps(seen))
"""
)


@pytest.fixture(scope="module")
def raised(tmp_path_factory):
    code = json.dumps({name: case[0] for name, case in CASES.items()})
    done = subprocess.run(
        [sys.executable, "-c", PROBE, code],
        capture_output=True,
        text=True,
        cwd=tmp_path_factory.mktemp("probe"),
        timeout=300,
        env={**os.environ, "PATH": ""},  # no Graphviz `dot`, wherever setup.sh installed it
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("SEEN "))
    return json.loads(line[5:])


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_keras_error_gets_kind_and_hint(raised, name):
    code, kind, words = CASES[name]
    assert raised[name] is not None, f"{name}: Keras no longer raises here"
    exception, message = raised[name]
    record = {"exception": exception, "message": message, "excerpt": [f">   1 | {code}"]}
    problem = verdict.from_record(record)
    assert problem.kind == kind, (exception, message)
    assert words in problem.hint, (exception, message, problem.hint)
    assert sys.prefix not in problem.message  # module names, never the machine's paths
