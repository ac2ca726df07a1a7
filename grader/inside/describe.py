"""The model's architecture as plain data, for checks and reports on the trusted side."""

from __future__ import annotations

from typing import Any

import numpy as np

CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "units", "rate", "pool_size")


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
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def layer_info(layer) -> dict:
    try:
        config = {k: _plain(v) for k, v in layer.get_config().items() if k in CONFIG_KEYS}
    except Exception:  # a custom layer without get_config
        config = {}
    info = {
        "name": layer.name,
        "class": type(layer).__name__,
        "output_shape": _shape(layer),
        "activation": _activation(layer),
        "params": _count(layer.weights),
        "trainable_params": _count(layer.trainable_weights),
        "trainable": bool(layer.trainable),
        "config": config,
    }
    inner = getattr(layer, "layers", None)
    if inner:
        info["layers"] = [layer_info(sub) for sub in inner]
    return info


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


def io_shapes(model) -> tuple[list | None, list | None]:
    """Symbolic shapes when the model has them; else probe a subclassed model with one
    blank image (it accepted 32x32x3 if that works)."""
    try:
        return _plain(tuple(model.inputs[0].shape)), _plain(tuple(model.outputs[0].shape))
    except Exception:
        pass
    try:
        out = model(np.zeros((1, 32, 32, 3), np.float32), training=False)
        return [None, 32, 32, 3], [None, *_plain(tuple(out.shape))[1:]]
    except Exception:
        return None, None


def describe(model) -> dict:
    """Layers (nested models included), shapes, parameter counts and compile settings."""
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
        **_loss_info(model),
        **_optimizer_info(model),
        "layers": [layer_info(layer) for layer in model.layers],
    }
