"""Handing the model from the submission's process to a process without its code.

The student stage writes the model's Keras configuration (JSON), its initial weights
(``.npz`` of plain arrays), how to preprocess and how to encode labels; the trainer
stage rebuilds the model from that alone. What is trained is then exactly what is
described, whatever the submission's code patched in its own process.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from grader.inside.errors import Failure
from grader.inside.infer import Preprocessing
from grader.inside.protocol import EXPORT, WEIGHTS, X_TEST, X_TRAIN

KERAS_CLASSES = ("Sequential", "Functional")


def _compile_spec(model, keras) -> dict:
    """The live optimizer and loss (a model's own compile_config can lose the optimizer,
    e.g. after an .h5 save)."""
    loss = model.loss
    return {
        "optimizer": keras.optimizers.serialize(model.optimizer),
        "loss": loss if isinstance(loss, str) else keras.losses.serialize(loss),
    }


def compile_args(keras, spec: dict) -> dict:
    loss = spec["loss"]
    return {
        "optimizer": keras.optimizers.deserialize(spec["optimizer"]),
        "loss": loss if isinstance(loss, str) else keras.losses.deserialize(loss),
    }


def blocker(model, keras) -> str | None:
    """Why this model cannot be rebuilt without the submission's code, or None."""
    cls = type(model)
    if cls.__name__ not in KERAS_CLASSES or not cls.__module__.startswith("keras."):
        return "a subclassed model"
    try:
        text, compiled = model.to_json(), _compile_spec(model, keras)
    except Exception as exc:
        return f"its configuration cannot be saved ({type(exc).__name__})"
    registry = keras.saving.get_custom_objects()
    saved = dict(registry)
    registry.clear()  # as in the trainer, which never sees the submission's classes
    try:
        rebuilt = keras.models.model_from_json(text)
        compile_args(keras, compiled)
    except Exception as exc:
        return f"it uses custom layers, losses or lambdas ({str(exc).split('.')[0][:120]})"
    finally:
        registry.update(saved)
    if [tuple(w.shape) for w in rebuilt.weights] != [tuple(w.shape) for w in model.weights]:
        return "its weights do not survive a rebuild"
    return None


def write(
    folder: Path,
    keras,
    model,
    initial_weights: list,
    pre: Preprocessing,
    one_hot: bool,
    train_x: np.ndarray,
    test_x: np.ndarray,
) -> None:
    np.savez(folder / WEIGHTS, *initial_weights)
    if pre.spec["kind"] == "custom":  # the submission's own function: apply it here
        np.save(folder / X_TRAIN, np.asarray(pre.apply(train_x), np.float32))
        np.save(folder / X_TEST, np.asarray(pre.apply(test_x), np.float32))
    spec = {
        "model": model.to_json(),
        "compile": _compile_spec(model, keras),
        "preprocess": pre.spec,
        "one_hot": one_hot,
    }
    tmp = folder / f".{EXPORT}"
    tmp.write_text(json.dumps(spec))
    os.replace(tmp, folder / EXPORT)  # last, and whole: the trainer starts when it appears


def wait(folder: Path, poll_s: float = 0.02) -> dict:
    """Block until the student stage has exported (the grader kills this stage if it never
    does)."""
    path = folder / EXPORT
    while not path.exists():
        time.sleep(poll_s)
    try:
        spec = json.loads(path.read_text())
        assert isinstance(spec, dict) and isinstance(spec["model"], str)
        assert isinstance(spec["compile"], dict)
        return spec
    except Exception:
        raise Failure("export_unreadable") from None


def rebuild(keras, folder: Path, spec: dict):
    """The model from its configuration (safe mode: no lambdas, no unknown classes), compiled
    as the submission compiled it, with its initial weights."""
    model = keras.models.model_from_json(spec["model"])
    model.compile(**compile_args(keras, spec["compile"]))
    with np.load(folder / WEIGHTS, allow_pickle=False) as stored:
        weights = [stored[f"arr_{i}"] for i in range(len(stored.files))]
    model.set_weights(weights)
    return model, weights
