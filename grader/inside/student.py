"""The student stage: run the submission's code, find its model, and export it for the
trainer stage (or, when it cannot be rebuilt without its code, train it right here)."""

from __future__ import annotations

import ast
import shutil
import sys
import time
from pathlib import Path

import numpy as np

# Bound by name now, before submission code runs: replacing module attributes later
# changes nothing here. (What it can still change is only what it exports.)
from grader.inside import (
    compat,
    execute,
    heartbeat,
    loaders,
    patches,
    protocol,
    searches,
    standins,
)
from grader.inside.common import import_keras, load_data, train_and_predict
from grader.inside.compiling import ensure_compiled
from grader.inside.describe import described, io_shapes
from grader.inside.errors import Failure, or_else
from grader.inside.export import blocker
from grader.inside.export import write as write_export
from grader.inside.fitting import Trainer
from grader.inside.infer import assumed, one_hot_labels, preprocessing
from grader.inside.model_search import from_contract, not_the_contract, search
from grader.inside.patches import as_array
from grader.inside.transcript import Transcript

VALIDATION_SHARE = 0.2  # of the training images, returned by load_data() as "test"


def _loader_split(train_x: np.ndarray, train_y: np.ndarray) -> tuple:
    """What load_data() returns: the training images split in two, never the test images."""
    cut = int(len(train_x) * (1 - VALIDATION_SHARE))
    y = train_y.reshape(-1, 1)
    return (train_x[:cut], y[:cut]), (train_x[cut:], y[cut:])


def _check_outputs(model) -> None:
    """Fail fast, before training, on what training could only fail on obscurely."""
    _, output = io_shapes(model)
    if output and output[-1] != 10:
        raise Failure("wrong_output_units", units=output[-1])


def _copy_files(source: Path, target: Path) -> None:
    """Files only: the work folder itself belongs to the sandbox, not to the submission."""
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def _check_size(model, limit: int, max_params: int | None) -> None:
    """Refuse a model the grader cannot train (``limit``, a resource limit) or a rule of the
    assignment rejects (``max_params``), in seconds, before training could run out of
    memory."""
    params = model.count_params()
    if params > limit:
        raise Failure("over_param_limit", params=params, limit=limit)
    if max_params is not None and params > max_params:
        raise Failure("too_many_params", params=params, max_params=max_params)


def _fed_labels(fit) -> str | None:
    """How the submission's own fit() got its labels (to compare with its loss)."""
    y = as_array(fit.y) if fit is not None else None
    if y is None:
        return None
    return "one_hot" if y.ndim == 2 and y.shape[1] > 1 else "class numbers"


def _script_note(source: str, failed: list[dict]) -> list[str]:
    """What running a script statement by statement changed, when it changed anything."""
    guarded = any(execute.main_guard(n) for n in ast.parse(source).body)
    if not failed and not guarded:
        return []
    block = ', its `if __name__ == "__main__":` block included' if guarded else ""
    went_on = f": {len(failed)} failed, and the next one ran each time" if failed else ""
    return [f"the script ran one top-level statement at a time{block}{went_on}"]


def _run_code(
    job: dict, keras, split: tuple, outcome: dict
) -> tuple[dict, patches.Capture, loaders.Served]:
    """Copy the submission into the work folder and run it; failing cells are recorded."""
    budget, work = job["budget"], Path.cwd()
    _copy_files(Path(job["paths"]["submission"]), work)
    started, cpu = time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(budget["seed"])
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    entry = work / job["entry_name"]
    if job["kind"] == "module":
        namespace["__file__"] = str(entry)
    sys.path.insert(0, str(entry.parent))  # a helper module beside it imports, as in Jupyter
    capture = patches.Capture()
    patches.install(keras, budget, capture, namespace, job["limits"])
    served = loaders.install(split, "\n".join(c["source"] for c in job["cells"]))
    searches.install(capture)
    translations, rewrite = None, None
    if job.get("compatibility") == "translate":  # README, "Old Keras, NumPy and SciPy code"
        translations, rewrite = compat.Translations(capture.note), compat.scalars
        compat.install(keras, namespace, translations)
    stand_ins = standins.install()
    notebook = job["kind"] == "notebook"
    transcript = Transcript(job["limits"]["output_kept_kb"] * 1024) if notebook else None
    keep = heartbeat.keep_failed(Path(job["out_dir"]))
    failed = execute.run(
        job["cells"], job["kind"], entry, namespace, capture, transcript, rewrite, keep
    )
    if translations is not None:
        outcome["translations"] = translations.found
    outcome["errors"] = stand_ins.notes + failed
    if transcript is not None:  # for executed.ipynb: each cell with the grader's notes
        stood_in = [{"cell": n["cell"], "text": n["message"]} for n in stand_ins.notes]
        outcome["cells"] = transcript.records(stood_in + capture.notes)
    outcome["inferred"].extend([*capture.skipped, *served.notes, *capture.inferred])
    if job["kind"] == "module":
        outcome["inferred"].extend(_script_note(job["cells"][0]["source"], failed))
    outcome["timings"]["code_s"] = round(time.perf_counter() - started, 3)
    outcome["timings"]["code_cpu_s"] = round(time.process_time() - cpu, 3)  # all its threads
    return namespace, capture, served


def _incomplete(model, failed: list[dict]) -> dict | None:
    """A failed line that would have added a layer to this very model (``model.add(base)``
    for a base that never loaded): what is left is not the model the code describes."""
    return next((e for e in failed if id(model) in e.get("adds_to", ())), None)


def _off_task(served: loaders.Served, failed: list[dict]) -> None:
    """Code that loaded another data set and never CIFAR-10 built its model for that one."""
    if served.off_task and not served.cifar:
        loads = [e for e in failed if e["exception"] == loaders.OffTaskData.__name__]
        raise Failure("off_task_data", loads, dataset=served.off_task[0])


def _graded_model(job: dict, namespace: dict, capture, keras, trainer, outcome: dict):
    """The model to grade, checked and compiled for training; why not, as a Failure."""
    found = from_contract(namespace, keras, job["budget"]["seed"])
    if found is None:
        try:
            found = search(namespace, capture, keras, job.get("model_variable"))
        except Failure as exc:  # why there is none: the lines that failed
            raise Failure(exc.code, outcome["errors"], **exc.facts) from None
        if callable(namespace.get("build_model")):
            found.notes.insert(0, not_the_contract(namespace))
    outcome["model_source"] = found.source
    outcome["inferred"].extend(found.notes)
    model = found.model
    if type(model).__name__ == "Sequential" and not model.layers:
        raise Failure("empty_model", outcome["errors"])
    missing = _incomplete(model, outcome["errors"])
    if missing is not None:  # before building: the failed layer may still be in it
        raise Failure("model_incomplete", [missing], line=missing.get("line"))
    if not model.built:
        model.build((None, 32, 32, 3))
    try:
        code = "\n".join(c["source"] for c in job["cells"])
        compiled = ensure_compiled(
            model, capture, namespace, keras, trainer.compile, code, outcome["errors"]
        )
        if compiled:
            outcome["inferred"].append(compiled)
        _check_outputs(model)
        _check_size(model, job["limits"]["max_params"], job.get("max_params"))
    except Failure:  # the model exists: its architecture still earns its points
        outcome["architecture"] = described(model, outcome["errors"])
        raise
    return found


def run(job: dict, outcome: dict) -> np.ndarray | None:
    budget, exchange = job["budget"], Path(job["out_dir"])
    train_x, train_y, test_x = load_data(job["paths"]["data"])
    _, keras = import_keras(budget["threads"], outcome)
    trainer = Trainer(keras)  # Keras's own fit and predict, before the submission runs
    split = _loader_split(train_x, train_y)
    # Everything of the student's (the code, build_model(), preprocess()) runs under the
    # code-time limit, its line in the heartbeat; the grader's training comes after.
    with heartbeat.Heartbeat(exchange):
        namespace, capture, served = _run_code(job, keras, split, outcome)
        _off_task(served, outcome["errors"])
        found = _graded_model(job, namespace, capture, keras, trainer, outcome)
        model = found.model
        outcome["fed_labels"] = _fed_labels(found.fit)
        pre = or_else(
            "inferring how the code preprocesses the images",
            outcome["errors"],
            lambda: preprocessing(namespace, found.fit, split[0][0]),
            lambda: assumed("assumed images / 255 (the grader's inference failed)"),
        )
        one_hot, labels_how = one_hot_labels(model, found.fit)
        if found.source != "build_model()":
            outcome["inferred"].extend([pre.description, labels_how])
        initial = found.fit.initial_weights if found.fit and found.fit.initial_weights else None
        initial = initial or [w.copy() for w in model.get_weights()]
        why_not = blocker(model, keras)
        if why_not is None and or_else(
            "exporting the model for training",
            outcome["errors"],
            lambda: (
                write_export(exchange, keras, model, initial, pre, one_hot, train_x, test_x) or True
            ),
            lambda: False,
        ):
            outcome["mode"] = protocol.EXPORTED
            return None
        why_not = why_not or "the grader could not export it (its fault, recorded)"
        x_train, x_test = pre.apply(train_x), pre.apply(test_x)
    outcome["mode"] = protocol.TRAINED
    outcome["inferred"].append(f"trained in the submission's own process: {why_not}")
    return train_and_predict(
        trainer, model, initial, x_train, train_y, one_hot, x_test, budget, outcome
    )
