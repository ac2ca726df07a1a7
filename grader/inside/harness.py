"""The sandboxed run, start to end: run the submission, find its model, train it under
the budget, predict the test images, and leave plain data for the grader to read.

Whatever happens, it writes ``outcome.json`` and exits with ``os._exit`` so no
handler the submission registered (atexit, finalizers) runs after it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from grader.inside import describe, errors, execute, infer, model_search, patches
from grader.inside.train import Trainer, encode_labels

VALIDATION_SHARE = 0.2  # of the training images, returned by load_data() as "test"


def _limit_self(memory_mb: int) -> None:
    """Cap heap memory (RLIMIT_DATA gives clean MemoryErrors with TensorFlow; AS does not)."""
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _import_keras(threads: int):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    return tf, keras


def _loader_split(train_x: np.ndarray, train_y: np.ndarray) -> tuple:
    """What load_data() returns: the training images split in two, never the test images."""
    cut = int(len(train_x) * (1 - VALIDATION_SHARE))
    y = train_y.reshape(-1, 1)
    return (train_x[:cut], y[:cut]), (train_x[cut:], y[cut:])


def _check_trainable(model, architecture: dict) -> None:
    """Fail fast, before training, on what training could only fail on obscurely."""
    if not getattr(model, "compiled", False):
        raise errors.Verdict(
            "the model is not compiled: call model.compile(optimizer=..., "
            "loss=..., metrics=['accuracy']) before training",
            "error",
        )
    shape = architecture.get("output_shape") or []
    if shape and shape[-1] != 10:
        raise errors.Verdict(
            f"the model outputs {shape[-1]} values per image, but CIFAR-10 "
            "has 10 classes: end with Dense(10, activation='softmax')",
            "error",
        )


def run(job: dict, outcome: dict) -> np.ndarray | None:
    """Fill ``outcome`` step by step; return the test predictions when training finished."""
    budget, timings = job["budget"], outcome["timings"]
    data = Path(job["data_dir"])
    train_x, train_y = np.load(data / "train_x.npy"), np.load(data / "train_y.npy")
    test_x = np.load(data / "test_x.npy")

    started = time.perf_counter()
    tf, keras = _import_keras(budget["threads"])
    outcome["versions"] = {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    timings["import_s"] = round(time.perf_counter() - started, 3)
    trainer = Trainer(keras)

    started = time.perf_counter()
    keras.utils.set_random_seed(budget["seed"])
    split = _loader_split(train_x, train_y)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    entry = Path.cwd() / job["entry_name"]
    if job["kind"] == "module":
        namespace["__file__"] = str(entry)
        sys.path.insert(0, str(entry.parent))
    capture = patches.Capture()
    patches.install(keras, split, budget, capture, namespace)
    outcome["errors"] = execute.run(job["cells"], job["kind"], entry, namespace, capture)
    outcome["inferred"].extend(capture.skipped)
    timings["code_s"] = round(time.perf_counter() - started, 3)

    found = model_search.from_contract(namespace, keras, budget["seed"])
    if found is None:
        found = model_search.search(namespace, capture, keras)
    outcome["model_source"] = found.source
    outcome["inferred"].extend(found.notes)
    model = found.model
    if not model.built:
        model.build((None, 32, 32, 3))
    outcome["architecture"] = describe.describe(model)
    _check_trainable(model, outcome["architecture"])

    preprocess, how = infer.preprocessing(namespace, found.fit, split[0][0])
    one_hot, labels_how = infer.one_hot_labels(model, found.fit)
    if found.source != "build_model()":
        outcome["inferred"].extend([how, labels_how])
    x_train = np.asarray(preprocess(train_x))
    x_test = np.asarray(preprocess(test_x))

    trainer.reset(model, found.fit)
    started = time.perf_counter()
    outcome["history"] = trainer.train(model, x_train, encode_labels(train_y, one_hot), budget)
    timings["train_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    predictions = trainer.predict_probabilities(model, x_test)
    timings["predict_s"] = round(time.perf_counter() - started, 3)
    return predictions


def _root_cause(found: list[dict]) -> dict:
    """Why no model came to be: the first error that is not a knock-on NameError."""
    cause = next((e for e in found if e["exception"] != "NameError"), found[0])
    found.remove(cause)
    return cause


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    out = Path(job["out_dir"])
    _limit_self(job["memory_mb"])
    outcome: dict = {
        "ok": False,
        "failure": None,
        "errors": [],
        "inferred": [],
        "model_source": None,
        "architecture": None,
        "history": None,
        "timings": {},
        "versions": {},
    }
    predictions = None
    try:
        predictions = run(job, outcome)
        outcome["ok"] = predictions is not None
    except errors.Verdict as exc:
        outcome["failure"] = errors.problem(str(exc), exc.kind)
        if exc.kind == "no_model" and outcome["errors"]:
            outcome["failure"] = _root_cause(outcome["errors"])
    except MemoryError as exc:
        outcome["failure"] = errors.record(exc, "memory")
    except Exception as exc:  # the submission's model or code failed: its verdict
        outcome["failure"] = errors.record(exc)
    outcome["memory_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if predictions is not None:
        np.save(out / "predictions.npy", predictions)
    (out / "outcome.json").write_text(json.dumps(outcome))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
