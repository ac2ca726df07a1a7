"""Infer how a free-form submission feeds its model: label format and preprocessing.

The grader trains on the same kind of input the submission fed its own model, so
it infers the per-channel affine map from the raw images ``load_data`` returned
to what ``fit`` received (``/255``, standardisation, or nothing) and applies it
to the hidden test images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.inside.errors import Failure
from grader.inside.patches import FitCall, as_array

Preprocess = Callable[[np.ndarray], np.ndarray]


def default_preprocess(images: np.ndarray) -> np.ndarray:
    """images / 255 in float32, in one new array: fresh memory is the costly part."""
    scaled = images.astype(np.float32)
    scaled /= np.float32(255)
    return scaled


def _as_float(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32)


def _loss_name(model) -> str:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", "") or "")


def one_hot_labels(model, fit: FitCall | None) -> tuple[bool, str]:
    """Labels as the loss expects them: class numbers for sparse losses, one-hot otherwise."""
    name = _loss_name(model).lower()
    if "sparse" in name:
        return False, f"labels given as class numbers (the loss is {name})"
    if "crossentropy" in name or "squared" in name or name in ("mse", "mae"):
        return True, f"labels one-hot encoded (the loss is {name})"
    y = as_array(fit.y) if fit else None
    if y is not None and y.ndim == 2 and y.shape[1] > 1:
        return True, "labels one-hot encoded, as the submission fed them"
    return False, "labels given as class numbers, as the submission fed them"


def _affine(raw: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-channel scale and offset with seen == raw * scale + offset, if that holds."""
    n = min(len(raw), len(seen), 256)
    a = raw[:n].reshape(-1, raw.shape[-1]).astype(np.float64)
    b = seen[:n].reshape(-1, seen.shape[-1]).astype(np.float64)
    scale, offset = np.empty(a.shape[1]), np.empty(a.shape[1])
    for c in range(a.shape[1]):
        design = np.stack([a[:, c], np.ones(len(a))], axis=1)
        (scale[c], offset[c]), *_ = np.linalg.lstsq(design, b[:, c], rcond=None)
        residual = np.abs(design @ np.array([scale[c], offset[c]]) - b[:, c]).max()
        if residual > 1e-3 * max(1.0, np.abs(b[:, c]).max()):
            return None
    return scale, offset


def _by_range(raw: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Scale and offset from per-channel ranges (for shuffled or re-ordered data),
    accepted only when the means agree too."""
    r = raw.reshape(-1, raw.shape[-1]).astype(np.float64)
    s = seen.reshape(-1, seen.shape[-1]).astype(np.float64)
    rmin, rmax, smin, smax = r.min(0), r.max(0), s.min(0), s.max(0)
    if np.any(rmax == rmin):
        return None
    scale = (smax - smin) / (rmax - rmin)
    offset = smin - scale * rmin
    spread = np.maximum(smax - smin, 1e-9)
    if np.any(np.abs(s.mean(0) - (r.mean(0) * scale + offset)) > 0.05 * spread):
        return None
    return scale, offset


def _describe(scale: np.ndarray, offset: np.ndarray) -> str:
    if np.allclose(offset, 0, atol=1e-6) and np.allclose(scale, 1 / 255, rtol=1e-4):
        return "images / 255"
    if np.allclose(offset, 0, atol=1e-6) and np.allclose(scale, 1, rtol=1e-6):
        return "images unchanged (0-255)"
    fmt = ", ".join
    return (
        f"images * [{fmt(f'{v:.4g}' for v in scale)}] + "
        f"[{fmt(f'{v:.4g}' for v in offset)}] per channel"
    )


@dataclass(frozen=True)
class Preprocessing:
    """How images become model input: a function, words for the student, and plain data
    (``spec``) that lets a process without the submission's code repeat it."""

    apply: Preprocess
    description: str
    spec: dict


def _affine_apply(scale: np.ndarray, offset: np.ndarray) -> Preprocess:
    scale, offset = scale.astype(np.float32), offset.astype(np.float32)

    def replay(images: np.ndarray) -> np.ndarray:
        scaled = images.astype(np.float32)  # in place: the same float32 steps, one array
        scaled *= scale
        scaled += offset
        return scaled

    return replay


def _flatten_after(apply: Preprocess) -> Preprocess:
    def replay(images: np.ndarray) -> np.ndarray:
        return apply(images).reshape(len(images), -1)

    return replay


def _flipped_first(apply: Preprocess) -> Preprocess:
    def replay(images: np.ndarray) -> np.ndarray:
        return apply(images[..., ::-1])

    return replay


def from_spec(spec: dict) -> Preprocess | None:
    """The function a spec describes; None for the submission's own preprocess()."""
    kind, found = spec.get("kind"), None
    if kind == "default":
        found = default_preprocess
    elif kind == "identity":
        found = _as_float
    elif kind == "affine":
        found = _affine_apply(
            np.asarray(spec["scale"], np.float64), np.asarray(spec["offset"], np.float64)
        )
    if found and spec.get("flip"):
        found = _flipped_first(found)
    return _flatten_after(found) if found and spec.get("flatten") else found


def preprocessing(namespace: dict, fit: FitCall | None, loader_images: np.ndarray) -> Preprocessing:
    """The submission's preprocess(), else what its own fit() shows, else images / 255."""
    if callable(namespace.get("preprocess")):
        return Preprocessing(
            namespace["preprocess"], "preprocess() from the submission", {"kind": "custom"}
        )
    if fit is None:
        return assumed("assumed images / 255 (the code never fit this model)")
    seen = as_array(fit.x)
    if seen is None and (batch := first_batch(fit.x)) is not None:
        return _from_batch(loader_images, batch)
    if seen is None:
        return assumed(
            "assumed images / 255 (fit() got a generator or dataset, so the "
            "preprocessing could not be seen)"
        )
    if not len(seen):
        return assumed("assumed images / 255 (fit() got no images)")
    if seen.ndim == 2 and seen.shape[1] == np.prod(loader_images.shape[1:]):
        # an MLP fed x.reshape(len(x), -1): the same pixels, flattened after the scaling
        inferred = _from_pixels(loader_images, seen.reshape(-1, *loader_images.shape[1:]))
        return Preprocessing(
            _flatten_after(inferred.apply),
            f"{inferred.description}, flattened to {seen.shape[1]} values per image",
            {**inferred.spec, "flatten": True},
        )
    if seen.shape[1:] != loader_images.shape[1:]:
        raise Failure("resized_for_fit", shape=str(tuple(seen.shape[1:])))
    return _from_pixels(loader_images, seen)


def first_batch(data) -> np.ndarray | None:
    """The images of a tf.data.Dataset's first element (a batch, or one image), read
    without reading the rest."""
    if not (hasattr(data, "take") and hasattr(data, "element_spec")):
        return None
    try:
        element = next(iter(data.take(1)))
    except Exception:  # an empty or failing dataset: nothing to see
        return None
    if isinstance(element, dict):
        element = element.get("image", next(iter(element.values())))
    elif isinstance(element, (tuple, list)):
        element = element[0]
    images = np.asarray(element, dtype=np.float32)
    return images if images.shape[-3:] == (32, 32, 3) else None


def _from_batch(loader_images: np.ndarray, batch: np.ndarray) -> Preprocessing:
    """The scaling of a dataset's images, from the value range of its first batch (its
    images are not the loader's in order, so only their range can be compared)."""
    lo, hi = float(batch.min()), float(batch.max())
    found = None
    if lo >= 0 and hi <= 1 + 1e-6:
        found = np.full(3, 1 / 255), np.zeros(3)
    elif lo >= 0 and 1.5 < hi <= 255 + 1e-3:
        found = np.ones(3), np.zeros(3)
    elif lo >= -1 - 1e-6 and hi <= 1 + 1e-6:
        found = np.full(3, 1 / 127.5), np.full(3, -1.0)
    found = found or _by_range(loader_images, batch)
    if found is None:
        return assumed(
            "assumed images / 255 (no scaling matches the values of the first batch of the "
            "dataset fit() got)"
        )
    return _scaled(*found, "from the value range of the first batch of the dataset fit() got")


def _from_pixels(loader_images: np.ndarray, seen: np.ndarray) -> Preprocessing:
    """The per-channel scaling from the images load_data() gave to those fit() got."""
    found = _affine(loader_images, seen)
    how = "inferred from the images passed to fit()"
    if found is None and (flipped := _affine(loader_images[..., ::-1], seen)) is not None:
        return _flipped(flipped)
    if found is None:
        found = _by_range(loader_images, seen)
        how = "inferred from the value ranges passed to fit()"
    if found is None:
        return assumed(
            "assumed images / 255 (the preprocessing passed to fit() is not a "
            "per-pixel scaling; define preprocess())"
        )
    return _scaled(*found, how)


def _scaled(scale: np.ndarray, offset: np.ndarray, how: str) -> Preprocessing:
    """A per-channel scaling, replayed exactly when it is /255 or nothing."""
    described = _describe(scale, offset)
    if described == "images / 255":  # least squares is a hair off: replay it exactly
        return Preprocessing(
            default_preprocess, f"preprocessing {described}, {how}", {"kind": "default"}
        )
    if described == "images unchanged (0-255)":
        return Preprocessing(_as_float, f"preprocessing {described}, {how}", {"kind": "identity"})
    return Preprocessing(
        _affine_apply(scale, offset),
        f"preprocessing {described}, {how}",
        {"kind": "affine", "scale": scale.tolist(), "offset": offset.tolist()},
    )


def _flipped(found: tuple[np.ndarray, np.ndarray]) -> Preprocessing:
    """Channels reversed, then scaled per channel: keras.applications' caffe mode (RGB to
    BGR, ImageNet means subtracted), which no per-channel scaling alone can repeat."""
    scale, offset = found
    return Preprocessing(
        _flipped_first(_affine_apply(scale, offset)),
        f"preprocessing: channels reversed (RGB to BGR, as keras.applications' caffe "
        f"mode does), then {_describe(scale, offset)}, inferred from the images passed to fit()",
        {"kind": "affine", "scale": scale.tolist(), "offset": offset.tolist(), "flip": True},
    )


def assumed(description: str) -> Preprocessing:
    return Preprocessing(default_preprocess, description, {"kind": "default"})
