"""What both sandboxed stages share: limits on themselves, data, TensorFlow, the outcome."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from grader.inside import describe, errors, protocol
from grader.inside.fitting import Trainer, encode_labels

Run = Callable[[dict, dict], "np.ndarray | None"]


def limit_self(limits: dict) -> None:
    """Hard rlimits before any submission code: a non-root process cannot lift them."""
    mb = 2**20
    for which, value in (
        (resource.RLIMIT_DATA, limits["memory_mb"] * mb),
        (resource.RLIMIT_CPU, int(limits["cpu_time_s"])),
        (resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


def load_data(folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = Path(folder)
    return tuple(np.load(d / f"{name}.npy", allow_pickle=False) for name in protocol.DATA)


def import_keras(threads: int, outcome: dict):
    """TensorFlow with pinned thread counts (the bits of a result depend on them)."""
    started = time.perf_counter()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    outcome["versions"] = {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    outcome["timings"]["import_s"] = round(time.perf_counter() - started, 3)
    return tf, keras


def train_and_predict(
    trainer: Trainer,
    model,
    initial_weights: list | None,
    x_train,
    y_train,
    one_hot: bool,
    x_test,
    budget: dict,
    outcome: dict,
) -> np.ndarray:
    """Describe the model that is trained, train it from its initial weights, predict."""
    outcome["architecture"] = describe.described(model, outcome["errors"])
    outcome["input_range"] = [float(np.min(x_train)), float(np.max(x_train))]
    trainer.reset(model, initial_weights)
    started, cpu = time.perf_counter(), time.process_time()
    outcome["history"] = trainer.train(model, x_train, encode_labels(y_train, one_hot), budget)
    outcome["timings"]["train_s"] = round(time.perf_counter() - started, 3)
    outcome["timings"]["train_cpu_s"] = round(time.process_time() - cpu, 3)  # all its threads
    started = time.perf_counter()
    outcome["batch_norm"] = trainer.reestimate_batch_norm(model, x_train)
    outcome["timings"]["batch_norm_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    predictions = trainer.predict_probabilities(model, x_test)
    outcome["timings"]["predict_s"] = round(time.perf_counter() - started, 3)
    return predictions


def main(run: Run, job_path: str) -> None:
    """Run a stage; whatever happens, leave its outcome and exit without running any
    handler the submission registered (atexit, finalizers)."""
    job = json.loads(Path(job_path).read_text())
    limit_self(job["limits"])
    outcome = protocol.new_outcome()
    if "requested_at" in job:  # one clock for the whole machine: the sandbox has no other
        outcome["timings"]["start_s"] = round(time.monotonic() - job["requested_at"], 3)
    # what the interpreter itself runs with (a warm stage inherits its parent's), not
    # what a variable asks for: 0 when string hashes are not randomized
    outcome["hash_seed"] = None if sys.flags.hash_randomization else "0"
    predictions = None
    try:
        predictions = run(job, outcome)
        outcome["ok"] = True
    except errors.Failure as exc:
        cause = errors.root_cause(exc.errors, outcome["errors"])
        outcome["failure"] = cause or errors.failure(exc.code, exc.facts)
        if cause in outcome["errors"]:
            outcome["errors"].remove(cause)
    except MemoryError as exc:
        outcome["failure"] = errors.record(exc, "memory")
    except Exception as exc:  # the submission's model or code failed: its verdict
        outcome["failure"] = errors.record(exc)
        if outcome["failure"]["raised_in"] == "grader" and outcome["failure"]["line"] is None:
            outcome["failure"] = errors.grader_fault("grading", exc)  # no line of the code
    outcome["memory_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out = Path(job["out_dir"])
    if "requested_at" in job:  # with start_s: the stage's whole span on the machine's clock
        outcome["timings"]["end_s"] = round(time.monotonic() - job["requested_at"], 3)
    cpu = os.times()  # all its threads, since it started (a fork starts at 0)
    outcome["timings"]["cpu_s"] = round(cpu.user + cpu.system, 3)
    if predictions is not None:
        np.save(out / protocol.PREDICTIONS, predictions)
    (out / protocol.OUTCOME).write_text(json.dumps(outcome))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
