"""Model signals, computed on the trusted side from what the grader already has: the
architecture description the trainer returns, and the test predictions it reads back.

The grader retrains every model with the budget's seed, so two submissions building the
same model the same way get bit-identical predictions whatever their code looks like.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

LAYER_KEYS = ("class", "activation", "trainable", "params")  # names and shapes are not kept


def _layer(layer: dict) -> dict:
    """A layer by what it computes: class, activation, hyper-parameters, parameter count
    and nested layers; its name (``dense_3``) is the order it was made in, not a choice."""
    return {
        **{key: layer.get(key) for key in LAYER_KEYS},
        "config": layer.get("config") or {},
        "layers": [_layer(inner) for inner in layer.get("layers") or [] if isinstance(inner, dict)],
    }


def architecture_fingerprint(architecture: dict | None) -> str | None:
    """A short hash of the layers in order and the input shape (``result.json``'s
    ``architecture``); None when there is no described layer."""
    if not isinstance(architecture, dict):
        return None
    layers = [x for x in architecture.get("layers") or [] if isinstance(x, dict)]
    if not layers:
        return None
    payload = {"input": architecture.get("input_shape"), "layers": [_layer(x) for x in layers]}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def layer_count(architecture: dict | None) -> int | None:
    """Top-level layers, for the report."""
    if not isinstance(architecture, dict) or not architecture.get("layers"):
        return None
    return len(architecture["layers"])


def prediction_hash(predictions: np.ndarray | None) -> str | None:
    """sha256 of the predictions as float32 bytes (with their shape): equal only for
    bit-identical predictions, so two different broken models that both predict one
    class do not match. A hash says nothing a student could use about the test labels."""
    if predictions is None:
        return None
    values = np.ascontiguousarray(predictions, dtype=np.float32)
    digest = hashlib.sha256(repr(values.shape).encode())
    digest.update(values.tobytes())
    return digest.hexdigest()
