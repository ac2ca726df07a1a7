"""CIFAR-10 on the trusted side: find it, read it safely, cut the budget's subsets.

The test labels stay in this process. The sandbox gets training images with
labels and test images without, as plain ``.npy`` files.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.errors import UsageError
from grader.inside import protocol

BATCHES = "cifar-10-batches-py"
TARBALL = "cifar-10-python.tar.gz"
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_FILE = "test_batch"
# The official batches pickle NumPy arrays; nothing else may be rebuilt from them.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # uint8, N x 32 x 32 x 3
    labels: np.ndarray  # uint8, N


@dataclass(frozen=True)
class Dataset:
    train: Split
    test: Split
    source: str


@dataclass(frozen=True)
class GradingData:
    """The budget's fixed subsets, and a fingerprint that keys caches and calibration."""

    train: Split
    test: Split
    source: str
    fingerprint: str


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _read_batch(blob: bytes, where: str) -> Split:
    try:
        batch = _ArrayUnpickler(io.BytesIO(blob), encoding="bytes").load()
        rows = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.uint8)
    except Exception as exc:
        raise UsageError(f"{where}: not a CIFAR-10 batch ({exc})") from None
    if rows.ndim != 2 or rows.shape[1] != 3072 or len(labels) != len(rows):
        raise UsageError(f"{where}: unexpected shape {rows.shape}")
    images = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return Split(np.ascontiguousarray(images), labels)


def _concat(parts: list[Split]) -> Split:
    return Split(
        np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts])
    )


def _read_folder(folder: Path) -> Dataset:
    def read(name: str) -> Split:
        path = folder / name
        if not path.is_file():
            raise UsageError(f"{folder}: missing {name}")
        return _read_batch(path.read_bytes(), str(path))

    return Dataset(_concat([read(n) for n in TRAIN_FILES]), read(TEST_FILE), str(folder))


def _read_tarball(path: Path) -> Dataset:
    blobs: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in (*TRAIN_FILES, TEST_FILE):
                    blobs[base] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    missing = [n for n in (*TRAIN_FILES, TEST_FILE) if n not in blobs]
    if missing:
        raise UsageError(f"{path}: missing {', '.join(missing)}")

    def read(name: str) -> Split:
        return _read_batch(blobs[name], f"{path}:{name}")

    return Dataset(_concat([read(n) for n in TRAIN_FILES]), read(TEST_FILE), str(path))


def _read(path: Path) -> Dataset:
    if path.is_dir():
        inner = path / BATCHES
        return _read_folder(inner if inner.is_dir() else path)
    if path.is_file():
        return _read_tarball(path)
    raise UsageError(f"CIFAR-10 data not found at {path}")


def _keras_cache() -> list[Path]:
    root = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    return [
        root / BATCHES,
        root / f"{BATCHES}-target" / BATCHES,
        root / TARBALL,
        root / f"{BATCHES}.tar.gz",
    ]


def _download_with_keras() -> None:
    """Fetch through Keras in a child process, so this process never imports it."""
    code = "import keras; keras.datasets.cifar10.load_data()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise UsageError(
            "no CIFAR-10 data found and the Keras download failed "
            f"({tail[0]}); pass --data PATH or set GRADER_DATA"
        )


def load(data_arg: str | None, download: Callable[[], None] = _download_with_keras) -> Dataset:
    """--data, then $GRADER_DATA, then the Keras cache; download only when none exists."""
    for given in (data_arg, os.environ.get("GRADER_DATA")):
        if given:
            return _read(Path(given).expanduser())
    for attempt in range(2):
        for path in _keras_cache():
            if path.exists():
                return _read(path)
        if attempt == 0:
            download()
    raise UsageError("no CIFAR-10 data found; pass --data PATH or set GRADER_DATA")


def stratified_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """A fixed subset of ``n`` indices keeping each class's share (all when n >= len)."""
    if n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n / len(labels)
    take = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - take), kind="stable")[: n - take.sum()]:
        take[i] += 1
    chosen = [
        rng.permutation(np.flatnonzero(labels == c))[:k] for c, k in zip(classes, take, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def _subset(split: Split, n: int, seed: int) -> Split:
    idx = stratified_subset(split.labels, n, seed)
    return Split(split.images[idx], split.labels[idx])


def for_budget(dataset: Dataset, train_images: int, test_images: int) -> GradingData:
    """Cut the budget's subsets with fixed seeds: the same data for every submission."""
    train = _subset(dataset.train, train_images, seed=0)
    test = _subset(dataset.test, test_images, seed=1)
    digest = hashlib.sha256()
    for array in (train.images, train.labels, test.images, test.labels):
        digest.update(np.ascontiguousarray(array).tobytes())
    return GradingData(train, test, dataset.source, digest.hexdigest())


def for_sandbox(data: GradingData) -> dict[str, np.ndarray]:
    """What a submission may see: training images and labels, test images only. Also
    what a cluster's workers get: the test labels stay in the grader's process."""
    arrays = (data.train.images, data.train.labels, data.test.images)
    return dict(zip(protocol.DATA, arrays, strict=True))


def write_arrays(arrays: dict[str, np.ndarray], folder: Path) -> None:
    """The sandbox's data folder: each array as NAME.npy."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)


def write_for_sandbox(data: GradingData, folder: Path) -> None:
    write_arrays(for_sandbox(data), folder)
