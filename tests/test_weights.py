"""Pretrained weights: `grader weights` fills a cache, grading shows it read-only where Keras
looks, and a submission asking for weights the cache lacks gets an `environment` verdict
that tells the instructor what to add."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.judging import verdict
from grader.runner import pretrained
from tests.conftest import EXAMPLES, SUBMISSIONS, cli, results, tiny_batch

MOBILENET = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
PRETRAINED = SUBMISSIONS / "pretrained_mobilenet.py"
WRITER = SUBMISSIONS / "writes_weights_cache.py"
# Keras checks no hash of MobileNetV2's weights: a file of the name it asks for, in the
# legacy .h5 layout its loader reads, stands in for ImageNet's (random weights, same shapes).
MAKE_WEIGHTS = (
    "import sys, keras\n"
    "keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, "
    "alpha=1.0).save(sys.argv[1])"
)


def _env(**changes: str) -> dict[str, str]:
    """This environment without a weights cache of its own, changed as given."""
    env = {k: v for k, v in os.environ.items() if k != "GRADER_WEIGHTS"}
    return {**env, **changes}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_names_and_files_map_to_applications():
    assert pretrained.application_named("mobilenet_v2") == "MobileNetV2"
    assert pretrained.application_named("VGG16") == pretrained.application_named("vgg16")
    assert pretrained.application_of(MOBILENET) == "MobileNetV2"
    assert pretrained.application_of("mobilenet_1_0_224_tf_no_top.h5") == "MobileNet"
    assert pretrained.application_of("resnet50v2_weights_tf_dim_ordering_tf_kernels.h5") == (
        "ResNet50V2"
    )
    assert pretrained.application_of("weights_mobilenet_v3_small_224_1.0_float.h5") == (
        "MobileNetV3Small"
    )


def test_keras_download_errors_are_told_apart():
    """Keras 3.15's get_file, word for word, under bubblewrap (no network namespace)."""
    url = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
    weights = verdict.from_record(
        {
            "exception": "Exception",
            "message": f"URL fetch failure on {url}{MOBILENET}: None -- [Errno -3] "
            "Temporary failure in name resolution",
        }
    )
    assert weights.kind == "environment" and weights.message.startswith(
        f"pretrained weights {MOBILENET} "
    )
    assert "grader weights add MobileNetV2" in weights.hint
    dataset = verdict.from_record(
        {
            "exception": "Exception",
            "message": "URL fetch failure on https://www.cs.toronto.edu/~kriz/"
            "cifar-10-python.tar.gz: None -- [Errno -3] Temporary failure in name resolution",
        }
    )
    assert dataset.kind == "error" and "no internet" in dataset.hint
    assert "weights=None" not in weights.hint + dataset.hint


def test_add_from_a_folder_then_list(tmp_path):
    source, cache = tmp_path / "keras-models", tmp_path / "cache"
    source.mkdir()
    for name in (MOBILENET, "mobilenet_1_0_224_tf_no_top.h5", "notes.txt"):
        (source / name).write_bytes(b"weights")
    done = cli("weights", "add", "mobilenetv2", "--from", str(source), "--weights", str(cache))
    assert done.returncode == 0, done.stderr
    assert f"added {MOBILENET}" in done.stdout
    assert sorted(p.name for p in cache.iterdir()) == [MOBILENET]  # not MobileNet's own
    listed = cli("weights", "list", env=_env(GRADER_WEIGHTS=str(cache)))
    assert listed.returncode == 0 and MOBILENET in listed.stdout and "MobileNetV2" in listed.stdout


def test_weights_usage_errors(tmp_path):
    unknown = cli("weights", "add", "nosuchnet", "--from", str(tmp_path))
    assert unknown.returncode == 2
    assert "unknown application 'nosuchnet'" in unknown.stderr
    missing = cli("weights", "add", "vgg16", "--from", str(tmp_path), "--weights", str(tmp_path))
    assert missing.returncode == 2 and "no .h5 weights of VGG16" in missing.stderr
    grading = cli("check", str(EXAMPLES / "good_cnn.py"), "--weights", str(tmp_path / "none"))
    assert grading.returncode == 2 and "no pretrained weights folder" in grading.stderr
    for done in (unknown, missing, grading):
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_download_without_network_is_a_clear_error(tmp_path):
    closed = "http://127.0.0.1:9"  # no network here, whatever the machine has
    env = _env(https_proxy=closed, HTTPS_PROXY=closed, no_proxy="", NO_PROXY="")
    done = cli("weights", "add", "MobileNetV2", "--weights", str(tmp_path / "cache"), env=env)
    assert done.returncode == 2, done.stderr
    assert "could not download MobileNetV2's weights" in done.stderr and "--from" in done.stderr
    assert "Traceback" not in done.stderr
    assert "without the classifier top" in done.stdout  # which variant, said
    assert not (tmp_path / "cache").exists()


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """MobileNetV2's no-top weights, made offline, added the way an instructor adds them."""
    source = tmp_path_factory.mktemp("keras-models")
    made = subprocess.run(
        [sys.executable, "-c", MAKE_WEIGHTS, str(source / MOBILENET)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    folder = tmp_path_factory.mktemp("weights") / "cache"
    done = cli(
        "weights", "add", "mobilenetv2", "--from", str(source), "--no-top", "--weights", str(folder)
    )
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def with_cache(tmp_path_factory, data_path, cache) -> tuple[Path, dict, dict[str, str]]:
    """The transfer-learning submission and one that attacks the cache, graded through it."""
    before = _digest(cache)
    out, _, _ = tiny_batch(
        tmp_path_factory,
        data_path,
        [PRETRAINED, WRITER],
        "--sandbox",
        "strict",
        env=_env(GRADER_WEIGHTS=str(cache)),
    )
    return out, results(out), before


@pytest.mark.slow
def test_pretrained_submission_is_graded_through_the_cache(with_cache):
    _, found, _ = with_cache
    result = found["pretrained_mobilenet"]
    assert result["status"] == "graded", result["failure"]
    assert isinstance(result["accuracy"], float)
    assert result["architecture"]["frozen_params"] > 2_000_000  # the base, loaded and frozen


@pytest.mark.slow
def test_the_cache_is_read_only_inside_the_sandbox(with_cache, cache):
    out, _, before = with_cache
    said = (out / "writes_weights_cache" / "output.txt").read_text()
    assert f"cache holds: ['{MOBILENET}']" in said
    assert "KERAS_HOME writable: True" in said  # Keras keeps its own files beside the cache
    for attempt in ("create", "overwrite", "delete", "chmod", "rename folder", "remove folder"):
        assert f"{attempt}: refused" in said, said[-2000:]
    assert "WRITTEN" not in said
    assert _digest(cache) == before


@pytest.mark.slow
def test_weights_missing_from_the_cache_is_the_environment(tmp_path_factory, data_path):
    empty = tmp_path_factory.mktemp("xdg-cache")  # no grader/keras-models in it
    out, _, _ = tiny_batch(
        tmp_path_factory, data_path, [PRETRAINED], env=_env(XDG_CACHE_HOME=str(empty))
    )
    result = results(out)["pretrained_mobilenet"]
    failure = result["failure"]
    assert result["status"] == "failed" and failure["kind"] == "environment"
    assert MOBILENET in failure["message"] and MOBILENET in failure["hint"]
    assert "grader weights add MobileNetV2" in failure["hint"]
    assert "weights=None" not in json.dumps(result)
