"""The model's architecture as plain data, for checks and reports on the trusted side.

Works for Sequential, Functional, nested (e.g. a frozen keras.applications base) and
subclassed models; for the last, the layers are the ones its call() really uses,
found by watching one call, including layers Keras does not track.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.inside.errors import or_else

CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "units", "rate", "pool_size")
STANDARD_MODELS = ("Sequential", "Functional")
PROBE = np.random.default_rng(0).random((4, 32, 32, 3)).astype(np.float32)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _shape(layer) -> list | None:
    try:
        return _plain(tuple(layer.output.shape))
    except Exception:  # subclassed internals and unbuilt layers have no symbolic output
        return None


def _activation(layer) -> str | None:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None)
    if name is None and type(layer).__name__ in ("Softmax", "ReLU", "LeakyReLU", "ELU"):
        name = type(layer).__name__.lower()
    return name


def _count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def layer_info(layer, hidden: bool = False) -> dict:
    try:
        config = {k: _plain(v) for k, v in layer.get_config().items() if k in CONFIG_KEYS}
    except Exception:  # a custom layer without get_config
        config = {}
    params, trainable = _count(layer.weights), _count(layer.trainable_weights)
    info = {
        "name": layer.name,
        "class": type(layer).__name__,
        "output_shape": _shape(layer),
        "activation": _activation(layer),
        "params": params,
        "trainable_params": trainable,
        "frozen_params": params - trainable,
        "trainable": bool(layer.trainable),
        "config": config,
    }
    if hidden:
        info["hidden"] = True  # called by call() but not tracked: its weights never train
    inner = getattr(layer, "layers", None)
    if inner:
        info["layers"] = [layer_info(sub) for sub in inner]
    return info


def called_layers(model) -> list:
    """The layers model.call() uses directly, in call order, watched during one call."""
    import keras

    original = keras.layers.Layer.__call__
    called: list = []
    depth = [0]

    def watch(self, *args, **kwargs):
        if depth[0] == 1 and not any(self is c for c in called):
            called.append(self)
        depth[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    keras.layers.Layer.__call__ = watch
    try:
        model(PROBE, training=False)
    finally:
        keras.layers.Layer.__call__ = original
    return called


def _layers(model) -> list[dict]:
    if type(model).__name__ in STANDARD_MODELS:
        return [layer_info(layer) for layer in model.layers]
    tracked = list(model.layers)
    try:
        used = called_layers(model)
    except Exception:  # a call that fails on a blank batch: fall back to what is tracked
        return [layer_info(layer) for layer in tracked]
    return [layer_info(layer, hidden=not any(layer is t for t in tracked)) for layer in used]


def io_shapes(model) -> tuple[list | None, list | None]:
    """Symbolic shapes when the model has them; else probe a subclassed model with one
    blank image (it accepted 32x32x3 if that works)."""
    try:
        return _plain(tuple(model.inputs[0].shape)), _plain(tuple(model.outputs[0].shape))
    except Exception:
        pass
    try:
        out = model(PROBE[:1], training=False)
        return [None, 32, 32, 3], [None, *_plain(tuple(out.shape))[1:]]
    except Exception:
        return None, None


def _output(model) -> dict:
    """What the model's outputs are, by behaviour: probabilities (rows of non-negative
    numbers summing to 1, as softmax gives) or not, whatever produced them."""
    try:
        out = np.asarray(model(PROBE, training=False), dtype=np.float64)
    except Exception:
        return {"probabilities": None, "in_unit_interval": None}
    sums_to_one = bool(np.all(out >= 0) and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3))
    return {"probabilities": sums_to_one, "in_unit_interval": bool(np.all((out >= 0) & (out <= 1)))}


def _loss_info(model) -> dict:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str) or loss is None:
        return {"loss": loss, "from_logits": False}
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return {"loss": str(name), "from_logits": bool(getattr(loss, "from_logits", False))}


def _optimizer_info(model) -> dict:
    try:
        opt = model.optimizer
        rate = opt.get_config().get("learning_rate")
    except Exception:
        return {"optimizer": None, "learning_rate": None}
    return {
        "optimizer": type(opt).__name__,
        "learning_rate": rate if isinstance(rate, (int, float)) else _plain(rate),
    }


def describe(model) -> dict:
    """Layers (nested models included), shapes, parameter counts, what the output is, and
    compile settings."""
    input_shape, output_shape = io_shapes(model)
    total = _count(model.weights)
    trainable = _count(model.trainable_weights)
    return {
        "class": type(model).__name__,
        "input_shape": input_shape,
        "output_shape": output_shape,
        "params": total,
        "trainable_params": trainable,
        "frozen_params": total - trainable,
        "compiled": bool(getattr(model, "compiled", False)),
        "output": _output(model),
        **_loss_info(model),
        **_optimizer_info(model),
        "layers": _layers(model),
    }


def described(model, errors: list[dict]) -> dict | None:
    """``describe(model)``, or None with a grader fault recorded: the rules that need the
    architecture then fail, and the accuracy is still measured."""
    return or_else("describing the model's layers", errors, lambda: describe(model), lambda: None)
