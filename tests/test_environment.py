"""The environment real notebooks expect (tests/submissions/environment/README.md): every
common CIFAR-10 loader serves the grader's data, the packages notebooks import run for real,
searches and GPU-only settings are kept CPU-sane, notebooks open as leniently as in
Jupyter, and the grader's own faults are its own. One batch at the tiny budget, with spies
(tests/hostile/loaders) that show no loader hands out a hidden test image."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from grader import data
from tests.conftest import SUBMISSIONS, results, tiny_batch

ENVIRONMENT = SUBMISSIONS / "environment"
HOSTILE_LOADERS = Path(__file__).resolve().parent / "hostile" / "loaders"
LIMITS = {"code_time_s": 60, "output_kept_kb": 256}  # the spies print every image's digest


@pytest.fixture(scope="module")
def batch(tmp_path_factory, data_path):
    paths = sorted(p for p in ENVIRONMENT.iterdir() if p.suffix in (".py", ".ipynb"))
    paths += sorted(HOSTILE_LOADERS.glob("*.py"))
    out, _, _ = tiny_batch(
        tmp_path_factory, data_path, paths, "--jobs", "2", "--sandbox", "strict", **LIMITS
    )
    return out, results(out)


def _graded(batch, name: str) -> dict:
    r = batch[1][name]
    assert r["status"] == "graded", r["failure"]
    # above chance (0.10): at the tiny budget a search's one trial reaches 0.12 on some
    # CPUs (an AVX-512 Xeon, warm stages and bubblewrap alike), more on others
    assert r["accuracy"] is not None and r["accuracy"] > 0.10, r["accuracy"]
    return r


def _inferred(r: dict) -> str:
    return "\n".join(r["inferred"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "served"),
    [
        ("tfds_supervised", "tfds.load('cifar10') served the grader's images"),
        ("tfds_dict_split", "tfds.load('cifar10') served the grader's images"),
        ("pickle_batches", "batch files (cifar-10-batches-py/) hold the grader's images"),
        ("load_cifar10_helper", "batch files (cifar-10-batches-py/) hold the grader's images"),
        ("image_folder", "the image folder cifar10/train was filled"),
    ],
)
def test_every_common_loader_serves_the_graders_data(batch, name, served):
    assert served in _inferred(_graded(batch, name))


@pytest.mark.slow
def test_a_dataset_fit_gets_the_scaling_its_first_batch_shows(batch):
    assert "images / 255, from the value range of the first batch" in _inferred(
        batch[1]["tfds_supervised"]
    )
    # Rescaling(1./255) is the model's first layer: the grader feeds it raw pixels
    assert "images unchanged (0-255), from the value range" in _inferred(batch[1]["image_folder"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tensorboard_callback", "skimage_cv2_preprocess"])
def test_packages_notebooks_import_run_for_real(batch, name):
    r = _graded(batch, name)
    assert not [e for e in r["errors"] if "stand-in" in e["message"]], r["errors"]
    assert r["errors"] == [], r["errors"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "asked"), [("keras_tuner_search", "50"), ("hyperband_then_refit", "all")]
)
def test_a_search_runs_one_trial_and_build_model_hp_is_not_the_contract(batch, name, asked):
    r = _graded(batch, name)
    said = _inferred(r)
    assert f"search() ran 1 trial instead of {asked}" in said
    assert re.search(r"with the hyper-parameters \w+=\S+", said), said  # what it graded
    assert "build_model() takes arguments" in said
    assert r["model_source"] != "build_model()"
    assert not [e for e in r["errors"] if "positional argument" in e["message"]]


@pytest.mark.slow
def test_gpu_only_settings_are_kept_cpu_sane(batch):
    assert "'mixed_float16' was kept at float32" in _inferred(_graded(batch, "mixed_precision"))
    assert "jit_compile=True was turned off" in _inferred(_graded(batch, "jit_and_strategy"))


@pytest.mark.slow
def test_a_notebook_jupyter_opens_is_graded_with_a_warning(batch):
    r = _graded(batch, "extra_properties")
    assert any("does not follow the notebook format" in e["message"] for e in r["errors"])


@pytest.mark.slow
def test_a_fit_on_no_images_is_the_students_error_not_the_graders(batch):
    r = _graded(batch, "fit_empty_array")
    assert "fit() got no images" in _inferred(r)
    assert [e["kind"] for e in r["errors"]] == ["error"], r["errors"]
    assert r["errors"][0]["message"].startswith("KeyError: 'loss'")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "title"), [("off_task_mnist", "MNIST"), ("off_task_cifar100", "CIFAR-100")]
)
def test_another_data_set_gets_a_verdict_that_names_it(batch, name, title):
    r = batch[1][name]
    assert r["status"] == "failed"
    f = r["failure"]
    assert f["kind"] == "rejected" and f"the code loads {title} (" in f["message"], f
    assert "this assignment is CIFAR-10" in f["message"] and "cifar10.load_data()" in f["hint"]


def _digest(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).hexdigest()[:12]


@pytest.fixture(scope="module")
def known(data_path):
    """Every image of the shared data, by digest: the training ones with their labels."""
    ds = data.load(data_path)
    train = {_digest(x): int(y) for x, y in zip(ds.train.images, ds.train.labels, strict=True)}
    return train, {_digest(x) for x in ds.test.images}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spy", "parts"),
    [
        ("spy_load_data", 2),
        ("spy_tfds", 7),
        ("spy_batches", 13),  # each file read both ways, and a path the code names
        ("spy_folders", 4),
    ],
)
def test_no_loader_hands_out_a_test_image_or_label(batch, known, spy, parts):
    train, test = known
    text = (batch[0] / spy / "output.txt").read_text()
    seen = re.findall(r"^SEEN (\S+) (\S*)$", text, re.MULTILINE)
    assert len(seen) == parts, text[-2000:]
    for part, digests in seen:
        pairs = [d.split(":") for d in digests.split(",") if d]
        assert pairs, part
        assert not {d for d, _ in pairs} & test, f"{spy} {part}: a hidden test image"
        wrong = [(d, y) for d, y in pairs if train.get(d) != int(y)]
        assert not wrong, f"{spy} {part}: not the training images with their labels"
