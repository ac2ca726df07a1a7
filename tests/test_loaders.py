"""The loaders' data and the leniency around them, without a sandbox: batch files in the
official format, tfds split strings, notebooks Jupyter opens, build_model(hp), grader
faults and the scaling read off a dataset's first batch."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from grader import collect, data
from grader.inside import errors, infer, loaders, model_search
from grader.judging import verdict


@pytest.fixture
def split() -> tuple:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (53, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, (53, 1)).astype(np.uint8)
    return (x[:40], y[:40]), (x[40:], y[40:])


def test_batch_files_hold_the_split_in_the_official_format(tmp_path, split):
    loaders._write_batches(tmp_path / loaders.BATCHES, split)
    read = data._read(tmp_path)  # the trusted reader of the real files
    (train_x, train_y), (test_x, test_y) = split
    assert np.array_equal(read.train.images, train_x)
    assert np.array_equal(read.train.labels, train_y.ravel())
    assert np.array_equal(read.test.images, test_x)
    assert np.array_equal(read.test.labels, test_y.ravel())


def test_batch_files_read_with_either_encoding_students_use(tmp_path, split):
    loaders._write_batches(tmp_path, split)
    with open(tmp_path / "data_batch_1", "rb") as f:
        as_bytes = pickle.load(f, encoding="bytes")
    with open(tmp_path / "data_batch_1", "rb") as f:
        as_text = pickle.load(f, encoding="latin1")
    assert as_bytes[b"data"].shape == (8, 3072) and as_text["data"].shape == (8, 3072)
    assert as_bytes[b"labels"] == as_text["labels"] == [int(v) for v in split[0][1][:8].ravel()]
    with open(tmp_path / "batches.meta", "rb") as f:
        meta = pickle.load(f, encoding="bytes")
    assert [n.decode() for n in meta[b"label_names"]][:2] == ["airplane", "automobile"]


def test_batch_folders_follow_the_paths_the_code_names():
    code = "ROOT = 'data/cifar-10-batches-py/'\nother = '/content/cifar-10-batches-py'"
    found = [str(p) for p in loaders._batch_folders(code)]
    assert found[0] == loaders.BATCHES and "data/cifar-10-batches-py" in found
    assert not [p for p in found if p.startswith("/content")]  # not the grader's to create


@pytest.mark.parametrize(
    ("split_name", "rows"),
    [("train", 40), ("test", 13), ("train[:50%]", 20), ("train[10:]", 30), ("train+test", 53)],
)
def test_tfds_split_strings(split, split_name, rows):
    x, y = loaders._tfds_part(loaders.Served(split), split_name)
    assert len(x) == len(y) == rows and y.dtype == np.int64


def test_an_unknown_tfds_split_says_which_exist(split):
    with pytest.raises(ValueError, match="Should be one of"):
        loaders._tfds_part(loaders.Served(split), "validation")


def test_a_notebook_jupyter_opens_is_read_with_a_note(tmp_path):
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
            "execution_count": None, "collapsed": False}  # fmt: skip
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "extra": {}}
    path = tmp_path / "extra.ipynb"
    path.write_text(json.dumps(nb))
    sub = collect.one(path, tmp_path / "scratch")
    assert sub.problem is None and [c.source for c in sub.cells] == ["x = 1"]
    assert "does not follow the notebook format" in sub.notes[0].message


def test_a_notebook_jupyter_cannot_open_is_refused(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text(json.dumps({"metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert collect.one(path, tmp_path / "scratch").problem.kind == "rejected"


def test_build_model_with_parameters_is_not_the_contract():
    def build_model(hp): ...

    def with_defaults(shape=(32, 32, 3)): ...

    assert "takes arguments" in model_search.not_the_contract({"build_model": build_model})
    assert model_search.not_the_contract({"build_model": with_defaults}) is None


def test_a_grader_fault_is_recorded_as_the_graders_and_graded_around():
    found: list[dict] = []

    def broken() -> str:
        return np.zeros(0).max()

    got = errors.or_else("inferring the preprocessing", found, broken, lambda: "fallback")
    assert got == "fallback" and found[0]["kind"] == "grader"
    problem = verdict.from_record(found[0])
    assert problem.kind == "grader" and problem.message.startswith("the grader failed while")
    assert "zero-size array" in problem.message and "not your code's doing" in problem.message
    assert "run your notebook" not in problem.hint


def test_a_failed_check_is_not_taken_for_a_grader_fault():
    def check():
        raise errors.Failure("no_model")

    with pytest.raises(errors.Failure):
        errors.or_else("checking", [], check, lambda: None)


@pytest.mark.parametrize(
    ("batch", "kind", "said"),
    [
        (np.linspace(0, 1, 3072 * 2).reshape(2, 32, 32, 3), "default", "images / 255"),
        (np.linspace(0, 255, 3072 * 2).reshape(2, 32, 32, 3), "identity", "unchanged"),
        (np.linspace(-1, 1, 3072 * 2).reshape(2, 32, 32, 3), "affine", "0.007843"),
    ],
)
def test_the_scaling_of_a_dataset_is_read_off_its_first_batch(batch, kind, said):
    loader = np.linspace(0, 255, 3072 * 4).reshape(4, 32, 32, 3).astype(np.uint8)
    found = infer._from_batch(loader, batch.astype(np.float32))
    assert found.spec["kind"] == kind and said in found.description
