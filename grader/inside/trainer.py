"""The trainer stage: no submission code runs here. It rebuilds the exported model,
trains it under the budget, describes it and predicts the test images.

It starts alongside the student stage, so importing TensorFlow costs no wall time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from grader.inside import common, export, infer, protocol
from grader.inside.errors import Failure
from grader.inside.fitting import Trainer


def _inputs(exchange: Path, spec: dict, train_x: np.ndarray, test_x: np.ndarray) -> tuple:
    apply = infer.from_spec(spec.get("preprocess") or {})
    if apply is not None:
        return apply(train_x), apply(test_x)
    x_train = np.load(exchange / protocol.X_TRAIN, allow_pickle=False)
    x_test = np.load(exchange / protocol.X_TEST, allow_pickle=False)
    if len(x_train) != len(train_x) or len(x_test) != len(test_x):
        raise Failure("preprocess_count")
    return x_train, x_test


def _warm_up(keras) -> None:
    """Pay TensorFlow's first-use costs (kernels, graph tracing machinery) while the
    student stage is still running; a clean session afterwards."""
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(2, 3),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((4, 8, 8, 3), "float32"), np.zeros(4, "int32"), verbose=0)
    model.predict(np.zeros((2, 8, 8, 3), "float32"), verbose=0)
    keras.backend.clear_session()


def run(job: dict, outcome: dict) -> np.ndarray:
    budget, exchange = job["budget"], Path(job["paths"]["exchange"])
    train_x, train_y, test_x = common.load_data(job["paths"]["data"])
    _, keras = common.import_keras(budget["threads"], outcome)
    trainer = Trainer(keras)
    started = time.perf_counter()
    _warm_up(keras)
    spec = export.wait(exchange)
    outcome["timings"]["wait_s"] = round(time.perf_counter() - started, 3)
    keras.utils.set_random_seed(budget["seed"])
    started = time.perf_counter()
    model, weights = export.rebuild(keras, exchange, spec)
    x_train, x_test = _inputs(exchange, spec, train_x, test_x)
    outcome["timings"]["rebuild_s"] = round(time.perf_counter() - started, 3)
    return common.train_and_predict(
        trainer,
        model,
        weights,
        x_train,
        train_y,
        bool(spec.get("one_hot")),
        x_test,
        budget,
        outcome,
    )
