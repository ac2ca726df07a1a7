"""Keras 1/2 in Keras 3: old arguments of layers, optimizers, fit and callbacks, Keras 1's
Convolution2D(filters, rows, cols), the removed Model methods, weights file names and
moved names of keras.optimizers/constraints/backend. Keras's own classes are wrapped in
place, so a translated model exports and rebuilds like any other. Keras 2.0 did the same
for Keras 1 code (keras/legacy/interfaces.py)."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable

from grader.inside.translations import Translations, arguments, missing, short

# Keras 1 argument -> Keras 2/3 argument; applied only where the class takes the new name
# and not the old one (Embedding keeps its own output_dim).
RENAMED = {
    "output_dim": "units",
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "U_constraint": "recurrent_constraint",
    "bias": "use_bias",
    "border_mode": "padding",
    "subsample": "strides",
    "subsample_length": "strides",
    "pool_length": "pool_size",
    "stride": "strides",
    "dim_ordering": "data_format",
    "p": "rate",
    "beta_init": "beta_initializer",
    "gamma_init": "gamma_initializer",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "lr": "learning_rate",
    "nb_epoch": "epochs",
}
DROPPED = {  # Keras 1/2 arguments with no effect today
    "consume_less",
    "mode",
    "nb_worker",
    "pickle_safe",
    "workers",
    "use_multiprocessing",
    "max_queue_size",
    "show_accuracy",
}
DATA_FORMAT = {"tf": "channels_last", "th": "channels_first"}
OPTIMIZERS = ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam")


def _renames(kwargs: dict, accepted: set[str]) -> dict[str, str]:
    """Old argument -> new, for the old names this callable does not take itself."""
    return {
        old: RENAMED[old]
        for old in kwargs
        if old in RENAMED and old not in accepted and RENAMED[old] in accepted
    }


def _translate_kwargs(name: str, kwargs: dict, accepted: set[str], log: Translations) -> dict:
    """Keras 1/2 keyword arguments to today's, each translation recorded."""
    renames = _renames(kwargs, accepted)
    dropped = [k for k in kwargs if k in DROPPED and k not in accepted]
    if not renames and not dropped:
        return kwargs
    out = {}
    for key, value in kwargs.items():
        if key in dropped:
            continue
        new = renames.get(key, key)
        if key == "dim_ordering":
            if value not in DATA_FORMAT:
                continue  # "default": today's default
            value = DATA_FORMAT[value]
        out[new] = value
    old = {k: kwargs[k] for k in [*renames, *dropped]}
    new = {renames[k]: out[renames[k]] for k in renames if renames[k] in out}
    log.record(
        f"{name}({arguments(old)})",
        f"{name}({arguments(new)})" if new else f"{name}() without {', '.join(dropped)}",
        "; ".join(
            [f"`{k}` is now `{v}`" for k, v in renames.items()]
            + [f"`{k}` no longer exists" for k in dropped]
        ),
    )
    return out


def _accepted(function) -> set[str]:
    return set(inspect.signature(function).parameters)


def _wrap_init(cls: type, log: Translations, extra: Callable | None = None) -> None:
    """Translate the old keyword arguments of ``cls(...)`` in place: the class stays
    Keras's own, so models export and rebuild as before."""
    original = cls.__dict__.get("__init__")
    if original is None or getattr(original, "_grader_compat", False):
        return
    accepted = _accepted(original)

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        if extra is not None:
            args, kwargs = extra(cls, args, kwargs, log)
        if kwargs:
            kwargs = _translate_kwargs(cls.__name__, kwargs, accepted, log)
        original(self, *args, **kwargs)

    # Keras reads the constructor's signature (auto config) two ways, one of which ignores
    # __wrapped__: the wrapper shows its own (*args, **kwargs) to both.
    del __init__.__wrapped__
    __init__._grader_compat = True
    cls.__init__ = __init__


def _optimizer_decay(cls, args, kwargs, log: Translations):
    """Keras 2's ``decay``: lr / (1 + decay * iterations), which is InverseTimeDecay."""
    if "decay" not in kwargs:
        return args, kwargs
    kwargs = dict(kwargs)
    decay = kwargs.pop("decay")
    if decay:
        from keras.optimizers.schedules import InverseTimeDecay

        rate = kwargs.pop("learning_rate", kwargs.pop("lr", None))
        positional = rate is None and bool(args)  # the rate was the first argument
        if positional:
            rate = args[0]
        if rate is None:  # Keras 3's defaults: 0.01 for SGD, 0.001 for the others
            rate = 0.01 if cls.__name__ == "SGD" else 0.001
        schedule = InverseTimeDecay(rate, decay_steps=1, decay_rate=decay)
        if positional:
            args = (schedule, *args[1:])
        else:
            kwargs["learning_rate"] = schedule
        log.record(
            f"{cls.__name__}(lr={short(rate)}, decay={short(decay)})",
            f"{cls.__name__}(learning_rate=InverseTimeDecay({short(rate)}, 1, {short(decay)}))",
            "pass a schedule: learning_rate=keras.optimizers.schedules.InverseTimeDecay("
            "lr, decay_steps=1, decay_rate=decay)",
        )
    else:
        log.record(f"{cls.__name__}(decay=0)", f"{cls.__name__}()", "`decay` no longer exists")
    return args, kwargs


def _convolution2d(conv2d: type, log: Translations) -> Callable:
    """Keras 1's Convolution2D(filters, rows, cols): a rows x cols kernel (today the third
    number would be the strides; Conv2D keeps that meaning)."""

    def Convolution2D(filters, *args, **kwargs):  # noqa: N802 - the Keras 1 name
        if len(args) >= 2 and all(isinstance(a, int) for a in args[:2]):
            rows, cols, args = args[0], args[1], args[2:]
            log.record(
                f"Convolution2D({filters}, {rows}, {cols})",
                f"Conv2D({filters}, ({rows}, {cols}))",
                f"Conv2D({filters}, ({rows}, {cols})): the kernel size is one argument",
            )
            return conv2d(filters, (rows, cols), *args, **kwargs)
        if "nb_row" in kwargs or "nb_col" in kwargs:
            rows, cols = kwargs.pop("nb_row", 1), kwargs.pop("nb_col", 1)
            log.record(
                f"Convolution2D(nb_row={rows}, nb_col={cols})",
                f"Conv2D(kernel_size=({rows}, {cols}))",
                "kernel_size=(rows, cols)",
            )
            return conv2d(filters, (rows, cols), *args, **kwargs)
        return conv2d(filters, *args, **kwargs)  # Keras 2's form: still valid, not translated

    return Convolution2D


def _model_methods(keras, log: Translations) -> None:
    """fit's old arguments, the removed *_generator methods and predict_classes."""
    model = keras.Model
    fit = model.fit
    accepted_fit = _accepted(fit) - {"self"}

    def _fit(self, *args, **kwargs):
        kwargs = _translate_kwargs("fit", kwargs, accepted_fit, log)
        history = fit(self, *args, **kwargs)
        if history is not None and isinstance(getattr(history, "history", None), dict):
            history.history = _History(history.history, log)
        return history

    def fit_generator(self, generator, steps_per_epoch=None, *args, **kwargs):
        samples = kwargs.pop("samples_per_epoch", None)
        if samples is not None and steps_per_epoch is None:
            steps_per_epoch = max(1, samples // getattr(generator, "batch_size", 1))
        validation = kwargs.pop("nb_val_samples", None)
        if validation is not None and "validation_steps" not in kwargs:
            kwargs["validation_steps"] = max(1, validation // getattr(generator, "batch_size", 1))
        log.record("fit_generator(...)", "fit(...)", "fit() takes generators and datasets")
        return _fit(self, generator, *args, steps_per_epoch=steps_per_epoch, **kwargs)

    def evaluate_generator(self, generator, steps=None, **kwargs):
        log.record("evaluate_generator(...)", "evaluate(...)", "evaluate(generator, steps=...)")
        kwargs = _translate_kwargs("evaluate", kwargs, _accepted(model.evaluate), log)
        return model.evaluate(self, generator, steps=steps, **kwargs)

    def predict_generator(self, generator, steps=None, **kwargs):
        log.record("predict_generator(...)", "predict(...)", "predict(generator, steps=...)")
        kwargs = _translate_kwargs("predict", kwargs, _accepted(model.predict), log)
        return model.predict(self, generator, steps=steps, **kwargs)

    def predict_classes(self, x, *args, **kwargs):
        log.record(
            "predict_classes(x)", "argmax of predict(x)", "np.argmax(model.predict(x), axis=-1)"
        )
        scores = model.predict(self, x, *args, **kwargs)
        if scores.shape[-1] > 1:
            return scores.argmax(axis=-1)
        return (scores > 0.5).astype("int32")

    def predict_proba(self, x, *args, **kwargs):
        log.record("predict_proba(x)", "predict(x)", "model.predict(x)")
        return model.predict(self, x, *args, **kwargs)

    model.fit = _fit
    for method in (
        fit_generator,
        evaluate_generator,
        predict_generator,
        predict_classes,
        predict_proba,
    ):
        setattr(model, method.__name__, method)


class _History(dict):
    """History.history where Keras 1/2 code reads 'acc' for what is now 'accuracy'."""

    def __init__(self, values: dict, log: Translations):
        super().__init__(values)
        self._log = log

    def __missing__(self, key):
        new = {"acc": "accuracy", "val_acc": "val_accuracy"}.get(key)
        if new is None or new not in self:
            raise KeyError(key)
        self._log.record(
            f"history['{key}']", f"history['{new}']", f"'{new}' (metrics=['accuracy'])"
        )
        return self[new]


def _weights_files(keras, log: Translations) -> None:
    """save_weights('x.h5') and ModelCheckpoint('x.hdf5'): written as Keras 3 files
    beside the name asked for, so the cell goes on (and a later load finds them)."""
    model = keras.Model
    save, load = model.save_weights, model.load_weights

    def renamed(path) -> str | None:
        text = str(path)
        if text.endswith((".h5", ".hdf5")) and not text.endswith(".weights.h5"):
            return text.rsplit(".", 1)[0] + ".weights.h5"
        return None

    def save_weights(self, filepath, *args, **kwargs):
        new = renamed(filepath)
        if new:
            log.record(
                f"save_weights({filepath!r})",
                f"save_weights({new!r})",
                "weights files end in .weights.h5",
            )
        return save(self, new or filepath, *args, **kwargs)

    def load_weights(self, filepath, *args, **kwargs):
        new = renamed(filepath)
        if new and not os.path.exists(filepath) and os.path.exists(new):
            log.record(
                f"load_weights({filepath!r})",
                f"load_weights({new!r})",
                "weights files end in .weights.h5",
            )
            filepath = new
        return load(self, filepath, *args, **kwargs)

    model.save_weights, model.load_weights = save_weights, load_weights
    checkpoint = keras.callbacks.ModelCheckpoint

    def suffix(cls, args, kwargs, log):
        path = kwargs.get("filepath", args[0] if args else None)
        if path is None or not str(path).endswith((".h5", ".hdf5")):
            return args, kwargs
        weights = kwargs.get("save_weights_only", False)
        new = renamed(path) if weights else str(path).rsplit(".", 1)[0] + ".keras"
        if new is None:
            return args, kwargs
        log.record(
            f"ModelCheckpoint({str(path)!r})",
            f"ModelCheckpoint({new!r})",
            "checkpoints end in .keras (.weights.h5 with save_weights_only=True)",
        )
        kwargs = {k: v for k, v in kwargs.items() if k != "filepath"}
        return (new, *args[1:]), kwargs

    _wrap_init(checkpoint, log, suffix)


def install(keras, log: Translations) -> None:
    """Every Keras translation, before the submission's code runs."""
    layer = keras.layers.Layer
    for name in dir(keras.layers):
        cls = getattr(keras.layers, name)
        if isinstance(cls, type) and issubclass(cls, layer):
            _wrap_init(cls, log)
    for name in OPTIMIZERS:
        _wrap_init(getattr(keras.optimizers, name), log, _optimizer_decay)
    conv = _convolution2d(keras.layers.Conv2D, log)
    for module in _layer_modules(keras):
        module.Convolution2D = conv
    _model_methods(keras, log)
    _weights_files(keras, log)
    _optimizer_extras(keras, log)
    missing(
        keras.optimizers,
        {n.lower(): (f"keras.optimizers.{n}", getattr(keras.optimizers, n)) for n in OPTIMIZERS},
        log,
    )
    constraints = keras.constraints
    missing(
        constraints,
        {
            "maxnorm": ("keras.constraints.MaxNorm", constraints.MaxNorm),
            "nonneg": ("keras.constraints.NonNeg", constraints.NonNeg),
            "unitnorm": ("keras.constraints.UnitNorm", constraints.UnitNorm),
        },
        log,
    )


def _optimizer_extras(keras, log: Translations) -> None:
    """``optimizer.lr`` and ``keras.optimizers.legacy.X``, gone in Keras 3."""

    def get(self):
        log.record("optimizer.lr", "optimizer.learning_rate", "optimizer.learning_rate")
        return self.learning_rate

    def set_(self, value):
        log.record(
            "optimizer.lr = ...", "optimizer.learning_rate = ...", "optimizer.learning_rate = value"
        )
        self.learning_rate = value

    keras.optimizers.Optimizer.lr = property(get, set_)
    legacy = importlib.import_module("keras.optimizers.legacy")
    for name in ("Adagrad", "Adam", "Ftrl", "RMSprop", "SGD"):
        current = getattr(keras.optimizers, name)

        def make(*args, _current=current, _name=name, **kwargs):
            log.record(
                f"keras.optimizers.legacy.{_name}(...)",
                f"keras.optimizers.{_name}(...)",
                f"keras.optimizers.{_name}",
            )
            return _current(*args, **kwargs)

        setattr(legacy, name, make)
    backend = keras.backend
    missing(
        backend,
        {
            "set_image_dim_ordering": (
                "keras.backend.set_image_data_format('channels_last')",
                lambda order: backend.set_image_data_format(DATA_FORMAT.get(order, order)),
            ),
            "image_dim_ordering": (
                "keras.backend.image_data_format()",
                lambda: {v: k for k, v in DATA_FORMAT.items()}[backend.image_data_format()],
            ),
        },
        log,
    )


def _layer_modules(keras) -> list:
    """keras.layers and tf.keras.layers, where they are separate modules."""
    found = [keras.layers]
    tf_layers = sys.modules.get("keras._tf_keras.keras.layers")
    if tf_layers is not None:
        found.append(tf_layers)
    return found
