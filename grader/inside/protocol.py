"""The sandbox protocol: everything that crosses between the grader and its two confined
stages, in one place. Standard library only: the trusted side imports it too (without
TensorFlow), so a field that crosses the boundary is added here and nowhere else.

A run: the grader writes a *job* for each stage and the data; the student stage runs
the submission and leaves an *outcome* (and, when it can be rebuilt, the model's export)
in ``/exchange``; the trainer stage rebuilds, trains and predicts into ``/out``. The
grader reads back the outcomes (checked with ``problem``) and merges them.
"""

from __future__ import annotations

STUDENT, TRAINER = "student", "trainer"
# How the student stage handed its model on: exported to the trainer, or trained itself
# (subclassed models and custom layers cannot be rebuilt without the submission's code).
EXPORTED, TRAINED = "exported", "trained"
TRAINED_IN = {EXPORTED: TRAINER, TRAINED: STUDENT}

# Files. /data holds the training images with labels and the test images without.
DATA = ("train_x", "train_y", "test_x")  # each NAME.npy
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
OUTCOME = "outcome.json"  # every stage, whatever happens
PREDICTIONS = "predictions.npy"  # the stage that trained: N x 10 float scores
EXPORT = "export.json"  # the student stage's model export, written last and whole...
WEIGHTS = "weights.npz"  # ...after its initial weights...
X_TRAIN, X_TEST = "x_train.npy", "x_test.npy"  # ...and images its own preprocess() made
HEARTBEAT = "running.json"  # the student stage: {cell, line, excerpt} its code is at
CODE_DONE = "code.done"  # the student stage: the submission's code has finished
FAILED_SO_FAR = "failed.json"  # the student stage: error records of its code so far
KEPT_FAILED = 20  # at most this many are read back from a stage that died

NONE = type(None)
# Outcome fields every stage leaves, with their JSON types.
REQUIRED = {
    "ok": bool,
    "failure": (dict, NONE),  # the error record that ended the stage
    "errors": list,  # error records of cells that failed, and notes (stood-in modules)
    "inferred": list,  # what the student stage inferred or did, in the student's terms
    "model_source": (str, NONE),  # which model was graded, and where it came from
    "architecture": (dict, NONE),  # describe() of the model
    "history": (dict, NONE),  # the grader's training: curves and seconds
    "timings": dict,
    "versions": dict,
    "mode": (str, NONE),  # EXPORTED or TRAINED
}
# Fields a stage may leave.
OPTIONAL = {
    "fed_labels": (str, NONE),  # "one_hot" or "class numbers": what the code fed fit()
    "batch_norm": (dict, NONE),  # {"layers", "images"} whose statistics were re-estimated
    "memory_peak_mb": (int, float),
    "hash_seed": (str, NONE),  # PYTHONHASHSEED as the stage's Python applied it (None: random)
    "input_range": list,  # [min, max] of the images as the model was trained on them
    # notebooks, student stage: per cell that ran, in order, {number, streams [{name, text}],
    # error {ename, evalue, traceback} or None, value (repr of its last value), notes}
    "cells": list,
    # student stage, [compatibility] mode "translate": each old API call the compatibility
    # layer translated, {call, translated_to, modern, cell, line} (see ``translations``)
    "translations": list,
}
# What the merged outcome keeps from the student stage when the trainer trained.
FROM_STUDENT = ("errors", "inferred", "model_source", "fed_labels", "cells", "translations")
TRANSLATION_TEXT = ("call", "translated_to", "modern")  # the strings of a translation
KEPT_TRANSLATIONS = 50  # at most this many are read back: each is a line in the report


def job(stage: str, budget: dict, limits: dict, paths: dict[str, str], **submission) -> dict:
    """What a stage is told: its budget and limits, where its folders appear to it, where
    it writes; the student stage also gets the submission (kind, entry_name, cells,
    max_params, model_variable)."""
    return {
        **submission,
        "stage": stage,
        "budget": budget,
        "limits": limits,
        "paths": paths,
        "out_dir": paths["exchange" if stage == STUDENT else "out"],
    }


def new_outcome() -> dict:
    """The outcome a stage starts with: not ok until it finished."""
    return {
        "ok": False,
        "failure": None,
        "errors": [],
        "inferred": [],
        "model_source": None,
        "architecture": None,
        "history": None,
        "timings": {},
        "versions": {},
        "mode": None,
    }


def problem(outcome: object) -> str | None:
    """Why an outcome read back from a stage cannot be trusted, or None."""
    if not isinstance(outcome, dict):
        return "the run's outcome file is not a JSON object"
    for key, kind in REQUIRED.items():
        if not isinstance(outcome.get(key), kind):
            return f"the run's outcome has a bad '{key}'"
    for key, kind in OPTIONAL.items():
        if key in outcome and not isinstance(outcome[key], kind):
            return f"the run's outcome has a bad '{key}'"
    if not all(isinstance(e, dict) for e in outcome["errors"]) or not all(
        isinstance(s, str) for s in outcome["inferred"]
    ):
        return "the run's outcome has bad error records"
    if not all(type(v) in (int, float) for v in outcome["timings"].values()):
        return "the run's outcome has a bad 'timings'"  # reports format them as numbers
    return None


def translations(outcome: dict) -> list[dict]:
    """The translations a stage reported, as plain checked records (untrusted input: a
    record of the wrong shape is dropped, texts are cut)."""
    kept = []
    for t in outcome.get("translations") or []:
        if not isinstance(t, dict) or not all(isinstance(t.get(k), str) for k in TRANSLATION_TEXT):
            continue
        if type(t.get("cell")) not in (int, NONE) or type(t.get("line")) not in (int, NONE):
            continue
        kept.append(
            {**{k: t[k][:200] for k in TRANSLATION_TEXT}, "cell": t["cell"], "line": t["line"]}
        )
    return kept[:KEPT_TRANSLATIONS]


def running(value: object) -> dict | None:
    """A heartbeat read back: where the code was, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    cell, line, excerpt = value.get("cell"), value.get("line"), value.get("excerpt")
    if (
        type(cell) in (int, NONE)
        and type(line) is int
        and isinstance(excerpt, list)
        and all(isinstance(x, str) for x in excerpt)
    ):
        return {"cell": cell, "line": line, "excerpt": excerpt[:12]}
    return None


def failed_so_far(value: object) -> list[dict]:
    """The error records a stage that died had written, as dicts of the record's fields
    (untrusted input: anything else is dropped; the trusted side words them)."""
    if not isinstance(value, list):
        return []
    fields = ("exception", "message", "cell", "line", "excerpt", "cause", "raised_in")
    return [{k: r[k] for k in fields if k in r} for r in value if isinstance(r, dict)][:KEPT_FAILED]


def merge(student: dict, trainer: dict) -> dict:
    """One outcome for a run whose model the trainer trained: the trainer's, with what the
    student stage saw of the submission's code and both stages' timings."""
    return {
        **trainer,
        **{key: student.get(key) for key in FROM_STUDENT},
        "errors": student["errors"] + trainer["errors"],  # the trainer's: the grader's faults
        "mode": EXPORTED,
        "timings": {
            **student["timings"],
            **{f"trainer_{k}": v for k, v in trainer["timings"].items()},
        },
    }
