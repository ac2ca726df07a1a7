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


def _inputs(
    exchange: Path, spec: dict, train_x: np.ndarray, test_x: np.ndarray, scaled: tuple
) -> tuple:
    """The images as the model is fed them; ``scaled``: images / 255, made while waiting."""
    if spec.get("preprocess") == {"kind": "default"}:
        return scaled
    apply = infer.from_spec(spec.get("preprocess") or {})
    if apply is not None:
        return apply(train_x), apply(test_x)
    x_train = np.load(exchange / protocol.X_TRAIN, allow_pickle=False)
    x_test = np.load(exchange / protocol.X_TEST, allow_pickle=False)
    if len(x_train) != len(train_x) or len(x_test) != len(test_x):
        raise Failure("preprocess_count")
    return x_train, x_test


def run(job: dict, outcome: dict) -> np.ndarray:
    budget, exchange = job["budget"], Path(job["paths"]["exchange"])
    train_x, train_y, test_x = common.load_data(job["paths"]["data"])
    _, keras = common.import_keras(budget["threads"], outcome)
    trainer = Trainer(keras)
    started = time.perf_counter()
    # while the student's code runs: most code feeds its model images / 255
    scaled = infer.default_preprocess(train_x), infer.default_preprocess(test_x)
    spec = export.wait(exchange)
    outcome["timings"]["wait_s"] = round(time.perf_counter() - started, 3)
    keras.utils.set_random_seed(budget["seed"])
    started = time.perf_counter()
    model, weights = export.rebuild(keras, exchange, spec)
    x_train, x_test = _inputs(exchange, spec, train_x, test_x, scaled)
    del scaled  # when the model is fed otherwise: freed before training
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
