"""Preprocessing and label inference (runs inside the sandbox; NumPy only, tested here)."""

import numpy as np
import pytest

from grader.inside import infer
from grader.inside.errors import Failure
from grader.inside.patches import FitCall

RAW = np.random.default_rng(0).integers(0, 256, (300, 32, 32, 3), dtype=np.uint8)


def _fit(x, y=None):
    return FitCall(model=None, x=x, y=y, cell=3, initial_weights=[])


def _pre(namespace, fit):
    found = infer.preprocessing(namespace, fit, RAW)
    return found.apply, found.description


def test_divide_by_255_is_recognised():
    fn, how = _pre({}, _fit(RAW.astype("float32") / 255.0))
    assert fn is infer.default_preprocess and "images / 255" in how


def test_standardisation_is_replayed_on_new_images():
    mean, std = RAW.mean(axis=(0, 1, 2)), RAW.std(axis=(0, 1, 2))
    found = infer.preprocessing({}, _fit((RAW - mean) / std), RAW)
    fn, how = found.apply, found.description
    new = np.random.default_rng(1).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    assert np.allclose(fn(new), (new - mean) / std, atol=1e-4)
    replayed = infer.from_spec(found.spec)  # as the trainer stage rebuilds it from plain data
    assert np.array_equal(replayed(new), fn(new))
    assert "per channel" in how


def test_raw_pixels_and_shuffled_data():
    fn, how = _pre({}, _fit(RAW))
    assert "unchanged" in how and np.array_equal(fn(RAW[:2]), RAW[:2].astype("float32"))
    shuffled = RAW[np.random.default_rng(2).permutation(len(RAW))] / 255.0
    fn, how = _pre({}, _fit(shuffled))
    assert "value ranges" in how and np.allclose(fn(RAW[:3]), RAW[:3] / 255.0)


def test_submission_preprocess_wins_and_generators_fall_back():
    mine = lambda images: images / 127.5 - 1  # noqa: E731
    custom = infer.preprocessing({"preprocess": mine}, None, RAW)
    assert custom.apply is mine and custom.spec == {"kind": "custom"}
    fn, how = _pre({}, _fit(iter([])))
    assert fn is infer.default_preprocess and "generator" in how


def test_resized_images_cannot_be_replayed():
    with pytest.raises(Failure) as raised:
        infer.preprocessing({}, _fit(np.zeros((10, 64, 64, 3), "float32")), RAW)
    assert raised.value.code == "resized_for_fit"
    assert raised.value.facts == {"shape": "(64, 64, 3)"}


class _Model:
    def __init__(self, loss):
        self.loss = loss


def test_label_format_follows_the_loss_then_the_data():
    assert infer.one_hot_labels(_Model("sparse_categorical_crossentropy"), None)[0] is False
    assert infer.one_hot_labels(_Model("categorical_crossentropy"), None)[0] is True
    onehot = np.eye(10)[[1, 2]]
    assert infer.one_hot_labels(_Model(lambda a, b: 0), _fit(RAW[:2], onehot))[0] is True
    assert infer.one_hot_labels(_Model(lambda a, b: 0), _fit(RAW[:2], [1, 2]))[0] is False
