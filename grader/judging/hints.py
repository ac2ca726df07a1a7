"""Hints for what Python and Keras raise in a submission: a kind and a hint a student
can act on, found by regular expressions on the exception's name and message (and on
the line that failed). Plain text on the trusted side: the sandbox never decides what a
student is told. The grader's own failures have codes instead (``grader.judging.verdict``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from grader.runner import pretrained

_RUN_ALL = "run your notebook from the top (Restart & Run All) before handing it in"
_RUN_SCRIPT = "run your script from start to end (python FILE.py) before handing it in"
# Keras's get_file could not fetch a keras.applications weights file (group 1: its name).
MISSING_WEIGHTS = r"URL fetch failure on \S*/keras-applications/\S*?([\w.\-]+\.h5)\b"


COMPILE = (
    "call model.compile(optimizer=..., loss=..., metrics=['accuracy']) before training or "
    "returning the model."
)
TOO_BIG = (
    "use fewer or narrower layers: most parameters sit in the Dense layer after Flatten; "
    "more pooling, or GlobalAveragePooling2D instead of Flatten, shrinks it."
)
NO_GRAPHVIZ = r"You must install (?:pydot|graphviz)"  # keras.utils.plot_model
_DATA_SIZE = (
    "the grader's cifar10.load_data() returns fewer images than CIFAR-10 (its training "
    "images, split 80/20): do not hard-code 50000 or 10000; use len(x_train) or "
    "x_train.shape[0]."
)
_OPTIMIZERS = {
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "adamax": "Adamax",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "nadam": "Nadam",
}
# (pattern on "ExceptionName: message", pattern on the line that failed, hint): for errors
# whose message alone says nothing (an empty AssertionError, an IndexError).
LINE_HINTS = [
    (
        r"^IndexError",
        r"physical_devices\(\s*['\"]GPU|list_logical_devices\(\s*['\"]GPU",
        "the grader has no GPU, so that list is empty: guard the line with "
        "`if gpus:`, or remove it (your model runs on the CPU the same).",
    ),
    (r"^AssertionError", r"\b(?:50000|49999|10000|9999|60000)\b", _DATA_SIZE),
    (r"^(?:IndexError|ValueError)", r"\b(?:50000|49999|10000|9999|60000)\b", _DATA_SIZE),
]


def _weights_hint(file: str) -> str:
    name = pretrained.application_of(file) or "NAME"
    return (
        f"the grader has no copy of `{file}`: the instructor adds it with `grader weights add "
        f"{name}` (README, 'Pretrained weights'); this is the grading environment, not your "
        "code."
    )


# (pattern on "ExceptionName: message", hint: a template for the pattern's groups or a
# function of them); first match wins.
OFF_TASK = (
    "this assignment is CIFAR-10: load it with `(x_train, y_train), (x_test, y_test) = "
    "tf.keras.datasets.cifar10.load_data()`, and build the model for its 32x32 colour "
    "images and 10 classes."
)
HINTS: list[tuple[str, str | Callable[..., str]]] = [
    (
        r"cannot import name 'ImageDataGenerator' from 'keras\.preprocessing",
        "Keras 3 has no keras.preprocessing.image: import ImageDataGenerator from "
        "tensorflow.keras.preprocessing.image, or augment inside the model with layers such "
        "as keras.layers.RandomFlip('horizontal') and keras.layers.RandomRotation(0.1).",
    ),
    (
        r"filepath provided must end in `\.keras`",
        "a checkpoint of the whole model is a `.keras` file in Keras 3: "
        "ModelCheckpoint('best.keras'), or save_weights_only=True with 'best.weights.h5'.",
    ),
    (
        r"module 'keras\.optimizers' has no attribute '(\w+)'",
        lambda name: (
            f"optimizers are classes in Keras 3: keras.optimizers.{_OPTIMIZERS.get(name, name)}"
            f"(learning_rate=...), or the name as a string, optimizer='{name.lower()}'."
        ),
    ),
    (
        NO_GRAPHVIZ,
        "plot_model needs pydot and Graphviz's `dot` program, which the grading environment "
        "does not have: this is the environment, not your model; the grade does not need the "
        "plot.",
    ),
    (
        r"/content\b|/MyDrive|/gdrive",
        "that is a Colab path (/content, Google Drive), which does not exist where your "
        "notebook is graded: read and write files relative to the notebook's folder, e.g. "
        "model.save('model.keras').",
    ),
    (
        r"out of bounds for axis 0 with size \d+|into shape \((?:50000|10000|60000)\b",
        _DATA_SIZE,
    ),
    (
        r"missing 1 required positional argument: 'units'",
        "Keras 3 has no `output_dim`: the number of neurons is `units`, e.g. Dense(units=64) "
        "or Dense(64); instead of `input_dim`, start the model with keras.Input(shape=...).",
    ),
    (
        r"unexpected keyword argument 'nb_epoch'",
        "`nb_epoch` is Keras 1: write fit(..., epochs=10).",
    ),
    (
        r"not recognized: \{'lr'",
        "`lr=` is now `learning_rate=`, e.g. keras.optimizers.Adam(learning_rate=0.001).",
    ),
    (r"'border_mode'", "`border_mode` is now `padding`, e.g. Conv2D(32, (3, 3), padding='same')."),
    (
        r"Unrecognized keyword arguments.*'init'",
        "`init` is now `kernel_initializer`, e.g. Dense(64, kernel_initializer='he_normal').",
    ),
    (
        r"'dim_ordering'",
        "`dim_ordering` is gone: Keras 3 expects channels-last images (32, 32, 3); remove it.",
    ),
    (
        r"Unrecognized keyword arguments.*'mode'",
        "`mode=` is a Keras 1 argument that no longer exists; remove it.",
    ),
    (
        r"has no attribute 'fit_generator'",
        "`fit_generator` was removed: pass the generator to model.fit(...).",
    ),
    (
        r"has no attribute 'predict_classes'",
        "`predict_classes` was removed: use np.argmax(model.predict(x), axis=1).",
    ),
    (
        r"has no attribute 'evaluate_generator'|has no attribute 'predict_generator'",
        "the `*_generator` methods were removed: pass the generator to evaluate() or predict().",
    ),
    (
        r"No module named 'keras\.(layers\.\w+|engine[\w.]*|legacy[\w.]*)'",
        "Keras 3 moved its internals: import from keras.layers, keras.models or keras.optimizers "
        "(e.g. from keras.layers import Dense).",
    ),
    (
        r"cannot import name 'np_utils'|No module named 'keras.utils.np_utils'",
        "`np_utils` is gone: use keras.utils.to_categorical(y, 10).",
    ),
    (
        r"optimizers\.legacy|optimizers.legacy",
        "keras.optimizers.legacy is gone in Keras 3: use keras.optimizers.Adam(...) and friends.",
    ),
    (r"object has no attribute 'lr'", "`optimizer.lr` is now `optimizer.learning_rate`."),
    (
        r"missing 1 required positional argument: 'pool_size'",
        "give the pooling window, e.g. AveragePooling2D(pool_size=(2, 2)).",
    ),
    (
        r"Invalid filepath extension for saving",
        "Keras 3 saves whole models to `.keras` files: model.save('model.keras').",
    ),
    (
        r"must end in `\.weights\.h5`",
        "weight files must end in `.weights.h5`: model.save_weights('model.weights.h5').",
    ),
    (
        r"No module named 'keras\.wrappers",
        "the scikit-learn wrappers left Keras (they live in the scikeras package, which the "
        "grading environment does not have); remove them.",
    ),
    (
        r"has no attribute '(get_session|set_session|set_image_dim_ordering|image_dim_ordering)'",
        "that TensorFlow 1 backend function is gone in Keras 3 (no sessions, always "
        "channels-last); remove the call.",
    ),
    (
        r"has no attribute 'ImageDataGenerator'",
        "use tf.keras.preprocessing.image.ImageDataGenerator, or augmentation layers such as "
        "keras.layers.RandomFlip inside the model.",
    ),
    (
        r"`target` and `output` must have the same (shape|rank)",
        "your labels are class numbers (0-9) but the loss is categorical_crossentropy: one-hot "
        "encode them with keras.utils.to_categorical(y, 10), or use "
        "sparse_categorical_crossentropy.",
    ),
    (
        r"Argument `output` must have rank",
        "your labels are one-hot but the loss is sparse_categorical_crossentropy: use "
        "categorical_crossentropy, or keep integer labels.",
    ),
    (
        r"No module named 'google\.colab'|No module named 'google'",
        "that is Colab-only code (drive.mount, /content paths): the grader is not Colab; load "
        "the data with cifar10.load_data() and remove the Colab lines.",
    ),
    (MISSING_WEIGHTS, _weights_hint),
    (
        r"URL fetch failure|Name or service not known|Temporary failure in name resolution"
        r"|Network is unreachable",
        "there is no internet while grading: load CIFAR-10 with cifar10.load_data(), and do "
        "not download files in your code.",
    ),
    (
        r"^(?:ModuleNotFoundError|ImportError): No module named '((?:tensorflow\.)?keras\.[\w.]+)'",
        "`{0}` does not exist in today's Keras (3): it was moved or removed, not left out of "
        "the grading environment. Import what you need from tensorflow.keras (e.g. "
        "layers.Rescaling and layers.RandomFlip are in tensorflow.keras.layers now).",
    ),
    (r"^OffTaskData", OFF_TASK),
    (
        r"^(?:ModuleNotFoundError|ImportError|StandInError): No module named 'datasets'",
        "the grader has no Hugging Face `datasets`: load CIFAR-10 with "
        "keras.datasets.cifar10.load_data() or tfds.load('cifar10'), which serve the "
        "grader's images.",
    ),
    (
        r"^(?:ModuleNotFoundError|ImportError|StandInError): No module named '([\w.]+)'",
        "the grading environment does not have `{0}` installed: this is the environment, "
        "not your logic. Remove the import, or ask your instructor to add `{0}`.",
    ),
    (
        r"^FileNotFoundError",
        "your code runs in a fresh, empty folder: files you expected to find (saved models, "
        "local datasets, Drive paths) are not there; load data with cifar10.load_data().",
    ),
    (
        r"^NameError: name '(\w+)' is not defined",
        "that name is used before any cell defines it; " + _RUN_ALL + ".",
    ),
    (r"^ParameterLimitError", TOO_BIG),
    (
        r"^(MemoryError|ResourceExhaustedError|_ArrayMemoryError)",
        "the model or its data used more memory than the grader allows: use fewer filters, "
        "smaller dense layers, or do not resize the images.",
    ),
    (
        r"^(SyntaxError|IndentationError|TabError)",
        "Python cannot read this line: look for a missing bracket, colon or quote, or "
        "output pasted into a code cell.",
    ),
    (r"must call `compile\(\)`|You must call `compile", COMPILE),
]
LIMIT_HINTS = {
    "timeout": "the grader trains your model itself for a fixed budget: remove long loops, "
    "hyper-parameter searches and waits from your code.",
    "memory": "use a smaller model (fewer filters or dense units) and do not resize or copy "
    "the whole data set.",
    "processes": "do not start processes or threads of your own; Keras needs none.",
    "disk": "do not write large or many files: keep checkpoints, logs and caches out of "
    "the code you hand in.",
}
# Messages of errors caused by a sandbox limit: (pattern, which limit, its hint).
RESOURCE_ERRORS = [
    (
        r"Resource temporarily unavailable|can't start new thread",
        lambda lim: f"the limit of {lim.processes} processes and threads",
        "processes",
    ),
    (r"File too large", lambda lim: f"the file-size limit of {lim.file_size_mb} MB", "disk"),
    (
        r"No space left on device|Disk quota exceeded",
        lambda lim: f"the disk limit ({lim.disk_mb} MB work folder, {lim.tmp_mb} MB /tmp)",
        "disk",
    ),
]
DEFAULT_HINT = "read the line shown above; " + _RUN_ALL + " to see the same error yourself."


def hint_for(exception: str, message: str, failed_line: str = "") -> str:
    """The hint for an error, from its message, or from the line that failed."""
    text = f"{exception}: {message}"
    for pattern, line_pattern, hint in LINE_HINTS:
        if re.search(pattern, text) and re.search(line_pattern, failed_line):
            return hint
    for pattern, hint in HINTS:
        found = re.search(pattern, text)
        if found:
            return hint.format(*found.groups()) if isinstance(hint, str) else hint(*found.groups())
    return DEFAULT_HINT


def for_script(hint: str) -> str:
    """A hint worded for a script: no notebook to restart, no cells."""
    hint = hint.replace(_RUN_ALL, _RUN_SCRIPT)
    for word, instead in (("cells", "lines"), ("cell", "line"), ("notebook", "script")):
        hint = re.sub(rf"\b{word}\b", instead, hint)
    return hint


def resource_limit(message: str):
    """The sandbox limit an error message shows was reached: (pattern, limit, hint key)."""
    return next((r for r in RESOURCE_ERRORS if re.search(r[0], message)), None)


def kind_for(exception: str, message: str) -> str:
    """Failure kind of an exception that stopped grading."""
    if resource_limit(message):
        return "resources"
    if re.search(MISSING_WEIGHTS, message) or re.match(NO_GRAPHVIZ, message):
        return "environment"
    if exception in ("SyntaxError", "IndentationError", "TabError"):
        return "syntax"
    if exception in ("ParameterLimitError", "OffTaskData"):
        return "rejected"
    if exception in ("MemoryError", "ResourceExhaustedError", "_ArrayMemoryError"):
        return "memory"
    missing = re.match(r"No module named '([\w.]+)'", message)
    if exception in ("ModuleNotFoundError", "ImportError", "StandInError") and missing:
        top = missing.group(1).split(".")[0]
        if top not in ("keras", "tensorflow"):
            return "environment"
    return "error"
