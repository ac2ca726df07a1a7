"""What the grader changes in Keras and IPython before student code runs.

``load_data`` returns the grader's data, every ``fit`` is capped to a token
budget (and remembered: which model, what x and y), shell commands and magics
are skipped, and ``get_ipython``/``display`` exist as in a notebook.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class FitCall:
    """A fit() in student code: the first one per model keeps its initial weights."""

    model: object
    x: object
    y: object
    cell: int | None
    initial_weights: list
    last: int = 0  # when this model was last fit: the order of all fit() calls


@dataclass
class CompileCall:
    """A compile() in student code that succeeded: the model and what it was given."""

    model: object
    optimizer: object
    loss: object


@dataclass
class Capture:
    """What student code did that the harness needs to know."""

    fits: list[FitCall] = field(default_factory=list)
    compiles: list[CompileCall] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)  # changes the result names
    current_cell: int | None = None
    notes: list[dict] = field(default_factory=list)  # {cell, text}: what the grader changed

    calls: int = 0

    def note(self, text: str, infer: bool = False) -> None:
        """Something the grader changed in the running cell (shown in executed.ipynb);
        ``infer``: the result says it too (once)."""
        self.notes.append({"cell": self.current_cell, "text": text})
        if infer and text not in self.inferred:
            self.inferred.append(text)

    def first_fit(self, model: object) -> FitCall | None:
        return next((f for f in self.fits if f.model is model), None)

    def fitted(self, model: object, x: object, y: object) -> None:
        """Record a fit() of ``model``: the first keeps its weights and what it was fed,
        every one its order."""
        call = self.first_fit(model)
        if call is None:
            weights = [w.copy() for w in model.get_weights()] if model.built else []
            call = FitCall(model, x, y, self.current_cell, weights)
            self.fits.append(call)
        self.calls += 1
        call.last = self.calls


def install(keras, budget: dict, capture: Capture, namespace: dict, limits: dict) -> None:
    _patch_fit(keras, budget, capture)
    _patch_compile(capture)
    _patch_dtype_policy(capture)
    _patch_add_weight(keras, limits["max_params"], limits["memory_mb"])
    shell = Shell(namespace, capture)
    builtins.get_ipython = lambda: shell
    builtins.display = lambda *objs, **kw: None


def _slice(value, n: int):
    """The first n rows of an array-like, or the value itself when it has no rows."""
    if isinstance(value, (list, tuple)):
        return type(value)(_slice(v, n) for v in value)
    if isinstance(value, dict):
        return {k: _slice(v, n) for k, v in value.items()}
    if hasattr(value, "shape") and hasattr(value, "__getitem__") and len(value.shape):
        return value[:n]
    return value


def _patch_fit(keras, budget: dict, capture: Capture) -> None:
    original = keras.Model.fit
    signature = inspect.signature(original)
    n, epochs = budget["fit_samples"], budget["fit_epochs"]

    def capped_fit(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)  # Keras's own TypeError for nb_epoch
        bound.apply_defaults()
        a = bound.arguments
        first = capture.first_fit(self) is None
        capture.fitted(self, a["x"], a["y"])
        start = int(a["initial_epoch"] or 0)
        asked = (int(a["epochs"] or 1) - start, _rows(a["x"]))
        a["x"], a["y"] = _slice(a["x"], n), _slice(a["y"], n)
        a["sample_weight"] = _slice(a["sample_weight"], n)
        if a["validation_data"] is not None:
            a["validation_data"] = _slice(a["validation_data"], n)
        if not hasattr(a["x"], "shape"):  # a generator or dataset: cap the steps
            a["steps_per_epoch"] = min(a["steps_per_epoch"] or 2, 2)
            a["validation_steps"] = min(a["validation_steps"] or 1, 1)
        a["epochs"] = min(int(a["epochs"] or 1), epochs + int(a["initial_epoch"] or 0))
        a["verbose"] = 0
        capture.note(_capped(asked, (a["epochs"] - start, _rows(a["x"]))))
        run = functools.partial(original, **a)
        return _eagerly(self, run) if first and _keras_own(self) else run()

    capped_fit.__signature__ = signature  # what it takes: Keras's own fit's arguments
    keras.Model.fit = capped_fit


def _eagerly(model, fit: Callable[[], object]) -> object:
    """Run a model's first capped fit eagerly: its few steps cost less than tracing its
    train and test graphs, and grading trains afresh (from the weights before it, when the
    model was built); its later fits run as in Jupyter (traced once, then reused). A fit
    that fails before its first step runs again as Jupyter runs it, so the student sees
    Jupyter's outcome. The functions it made are dropped."""
    eager, made, steps = model.run_eagerly, _functions(model), _steps(model)
    model.run_eagerly = True
    try:
        return fit()
    except Exception:
        if _steps(model) != steps or steps is None:
            raise
    finally:
        model.run_eagerly = eager
        _functions(model, made)
    return fit()  # out of the handler: its error is Jupyter's alone


def _keras_own(model) -> bool:
    """Whether eagerly and in a graph this fit can differ only in cost: a Sequential or
    Functional model of Keras's own layers (no Lambda), optimizer, loss and metrics, on one
    device. Student code in a step (a subclass, a custom layer, loss or metric) may work
    eagerly and fail in the graph Jupyter traces, so it runs as there."""
    config = getattr(model, "_compile_config", None)
    if getattr(model, "_distribute_strategy", None) is not None or config is None:
        return False
    layers = list(model._flatten_layers(include_self=False))
    given = [config.config.get(k) for k in ("loss", "metrics", "weighted_metrics")]
    return all(
        _from_keras(x) for x in [model, model.optimizer, *layers, *_leaves(given)]
    ) and not any(type(layer).__name__ == "Lambda" for layer in layers)


def _from_keras(thing) -> bool:
    """A name Keras resolves, or a class or function Keras defines (or an instance of one)."""
    if thing is None or isinstance(thing, str):
        return True
    defined = thing if inspect.isfunction(thing) or inspect.isclass(thing) else type(thing)
    return (getattr(defined, "__module__", None) or "").startswith("keras.")


def _leaves(given) -> list:
    """The losses and metrics in compile()'s possibly nested lists and dicts."""
    if isinstance(given, dict):
        given = list(given.values())
    if isinstance(given, (list, tuple)):
        return [leaf for g in given for leaf in _leaves(g)]
    return [given]


def _functions(model, made: tuple | None = None) -> tuple:
    """The model's traced train, test and predict functions; with ``made``, put back."""
    names = ("train_function", "test_function", "predict_function")
    if made is not None:
        for name, value in zip(names, made, strict=True):
            setattr(model, name, value)
    return tuple(getattr(model, name) for name in names)


def _steps(model) -> int | None:
    """How many steps the model's optimizer has taken (None: it cannot say)."""
    try:
        return int(model.optimizer.iterations)
    except Exception:
        return None


def _patch_compile(capture: Capture) -> None:
    """Remember each compile(), so a model build_model() returns uncompiled can be graded
    with the compile the code gave it later (grader/inside/compiling.py). Patched where
    Keras defines it: Keras compiles a loaded model only when its class's compile is that
    one (a wrapper on keras.Model would leave every load_model() uncompiled)."""
    from keras.src.trainers.trainer import Trainer

    original = Trainer.compile

    @functools.wraps(original)
    def recorded_compile(self, *args, **kwargs):
        if kwargs.get("jit_compile") not in (None, False, "auto"):  # XLA: seconds per compile
            kwargs["jit_compile"] = False
            capture.note(
                "jit_compile=True was turned off: on the grader's CPU, XLA only adds compile time",
                infer=True,
            )
        done = original(self, *args, **kwargs)
        capture.compiles.append(CompileCall(self, self.optimizer, self.loss))
        return done

    Trainer.compile = recorded_compile


def replace_everywhere(original: object, replacement: object) -> None:
    """Replace a Keras function in every Keras module that exports it (keras.utils,
    keras.preprocessing, tf.keras's aliases...)."""
    importlib.import_module("keras._tf_keras.keras")

    for name, module in list(sys.modules.items()):
        if name.startswith("keras") and module is not None:
            for attr, value in list(vars(module).items()):
                if value is original:
                    setattr(module, attr, replacement)


def _patch_dtype_policy(capture: Capture) -> None:
    """Keep float32 whatever dtype policy the code sets: mixed_float16 speeds up a GPU, and
    on the grader's CPU makes a small CNN's training take minutes instead of seconds (the
    policy is a hardware choice, not part of the design)."""
    from keras.src.dtype_policies import dtype_policy

    original = dtype_policy.set_dtype_policy

    @functools.wraps(original)
    def float32_policy(policy):
        name = getattr(policy, "name", policy)
        if name in ("float32", None):
            return original(policy)
        capture.note(
            f"the dtype policy '{name}' was kept at float32: it speeds up a GPU, and the "
            "grader trains on a CPU, where it only slows training down",
            infer=True,
        )
        return original("float32")

    replace_everywhere(original, float32_policy)


class ParameterLimitError(ValueError):
    """One weight of a layer would hold more parameters than the grader can train."""


TRAINING_BYTES = 16  # per float32 parameter in training: the weight, its gradient, 2 moments


def _patch_add_weight(keras, limit: int, memory_mb: int) -> None:
    """Refuse, with its count, a weight that could not even be trained in the memory
    limit, before allocating it: a 500M-parameter layer would otherwise end in an
    out-of-memory error. A smaller model over ``limit`` is built, described (its
    architecture earns its points) and refused before training (student.py)."""
    most = max(limit, memory_mb * 2**20 // TRAINING_BYTES)
    original = keras.layers.Layer.add_weight
    signature = inspect.signature(original)

    @functools.wraps(original)
    def bounded_add_weight(self, *args, **kwargs):
        shape = signature.bind(self, *args, **kwargs).arguments.get("shape") or ()
        try:
            count = math.prod(int(n) for n in shape)
        except (TypeError, ValueError):  # a shape with unknown dimensions: Keras decides
            count = 0
        if count > most:
            dims = " x ".join(f"{int(n):,}" for n in shape)
            raise ParameterLimitError(
                f"the layer '{self.name}' would hold a weight of {dims} = {count:,} "
                f"parameters, more than the {memory_mb} MB memory limit can train and than "
                f"the {limit:,} the grader trains (its parameter limit)"
            )
        return original(self, *args, **kwargs)

    keras.layers.Layer.add_weight = bounded_add_weight


def _rows(x) -> int | None:
    """How many samples an array-like holds (the first array's, for several inputs)."""
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (list, tuple)) and x:
        return _rows(x[0])
    shape = getattr(x, "shape", None)
    return int(shape[0]) if shape else None


def _capped(asked: tuple[int, int | None], ran: tuple[int, int | None]) -> str:
    """The note on a capped fit(): what it asked for, what ran."""

    (epochs, rows), (epochs_asked, rows_asked) = ran, asked
    if rows is None:  # a generator or dataset
        ran_text, asked_text = f"{epochs} epoch(s) of at most 2 steps", f"{epochs_asked}"
    else:
        ran_text, asked_text = (
            f"{epochs} epoch(s) of {rows} samples",
            f"{epochs_asked} of {rows_asked}",
        )
    return (
        f"fit() was capped by the grader: {ran_text} instead of {asked_text}, without "
        "progress output; the grade comes from the grader's own training of the model"
    )


class Shell:
    """Stand-in for IPython's shell: magics that matter run, the rest is skipped."""

    RUN_BODY = {"time", "timeit", "capture", "prun"}

    def __init__(self, namespace: dict, capture: Capture):
        self.user_ns = namespace
        self.capture = capture

    def _skip(self, what: str) -> None:
        where = f"cell {self.capture.current_cell}" if self.capture.current_cell else "code"
        shown = what.strip()[:80]
        self.capture.skipped.append(f"{where}: skipped `{shown}`")
        self.capture.note(
            f"skipped `{shown}`: the grader runs no shell commands, and only the magics that "
            "matter to the model"
        )

    def system(self, cmd: str) -> None:
        self._skip(f"!{cmd}")

    def getoutput(self, cmd: str, *args) -> list:
        self._skip(f"!{cmd}")
        return []

    def run_line_magic(self, name: str, line: str, *args):
        if name in self.RUN_BODY and line.strip():
            exec(compile(line, "<magic>", "exec"), self.user_ns)
        elif name not in ("matplotlib", "config"):
            self._skip(f"%{name} {line}")

    def run_cell_magic(self, name: str, line: str, cell: str):
        if name in self.RUN_BODY:
            exec(compile(cell, "<magic>", "exec"), self.user_ns)
        elif name == "writefile":
            parts = line.split()
            target = Path(parts[-1])
            mode = "a" if "-a" in parts or "--append" in parts else "w"
            with target.open(mode) as f:
                f.write(cell)
        else:
            self._skip(f"%%{name} {line}")


def as_array(value) -> np.ndarray | None:
    """A NumPy view of an array-like fit() argument, or None for generators and datasets
    (reading one could never end). ImageDataGenerator.flow(x, y) keeps its x: that one."""
    if value is None or isinstance(value, (list, tuple, dict)) and not value:
        return None
    flowed = getattr(value, "x", None)
    if isinstance(flowed, np.ndarray) and not hasattr(value, "shape"):
        value = flowed
    readable = hasattr(value, "shape") or hasattr(value, "__array__")
    if not (readable or isinstance(value, (list, tuple))):
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    return array if array.dtype != object and array.ndim >= 1 else None
