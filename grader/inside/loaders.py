"""Every common way to load CIFAR-10 gives the grader's data: Keras's ``load_data()``,
``tensorflow_datasets``, the official Python batch files read by hand, and class-per-folder
image trees (README, "Loading CIFAR-10").

Each serves the same split (``Served.split``): its "train" part is the training part of the
grader's training images, its "test" part the held-out rest of them. The hidden test
images and their labels never reach the submission. Loading another data set (MNIST,
CIFAR-100...) raises ``OffTaskData``, which names it.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import re
import struct
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.inside import after_import
from grader.inside.patches import replace_everywhere
from grader.inside.protocol import CLASSES

KERAS = ("keras.src.datasets", "keras.datasets", "keras._tf_keras.keras.datasets")
OFF_TASK = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "cifar100": "CIFAR-100",
    "imdb": "IMDB reviews",
    "reuters": "Reuters newswires",
    "boston_housing": "Boston housing",
    "california_housing": "California housing",
}
HELD_OUT = {"test", "tests", "testing", "val", "valid", "validation"}  # folder names
BATCHES = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
DATA_BATCHES = 5


class OffTaskData(ValueError):
    """The code loaded a data set other than the assignment's."""

    def __init__(self, title: str, how: str):
        super().__init__(
            f"the code loads {title} ({how}), but this assignment is CIFAR-10: the grader "
            "serves only CIFAR-10"
        )


@dataclass
class Served:
    """The split every loader serves, and what was loaded how (for ``inferred``)."""

    split: tuple  # ((train_x, train_y), (held_out_x, held_out_y)), labels shaped (n, 1)
    notes: list[str] = field(default_factory=list)
    off_task: list[str] = field(default_factory=list)
    cifar: bool = False

    def serve(self, note: str | None = None) -> None:
        self.cifar = True
        if note and note not in self.notes:
            self.notes.append(note)

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The training part for "train", the held-out one for "test"."""
        return self.split[1] if name in HELD_OUT else self.split[0]

    def refuse(self, title: str, how: str) -> OffTaskData:
        self.off_task.append(title)
        return OffTaskData(title, how)


def install(split: tuple, code: str) -> Served:
    served = Served(split)
    _keras_datasets(served)
    _image_folders(served)
    _batch_files(served, code)
    after_import.install({"tensorflow_datasets": lambda module: _tfds(module, served)})
    return served


def _keras_datasets(served: Served) -> None:
    """Every import style of cifar10.load_data (keras, tf.keras, keras.src) gets ours; the
    other Keras data sets say they are not the assignment's."""

    def load_data():
        served.serve()
        (xa, ya), (xb, yb) = served.split
        return (xa.copy(), ya.copy()), (xb.copy(), yb.copy())

    def refusing(name: str):
        def load_data(*args, **kwargs):
            raise served.refuse(OFF_TASK[name], f"keras.datasets.{name}.load_data()")

        return load_data

    for package in KERAS:
        for name, loader in [("cifar10", load_data), *((n, refusing(n)) for n in OFF_TASK)]:
            try:
                importlib.import_module(f"{package}.{name}").load_data = loader
            except ImportError:
                continue


# --- the official Python batch files --------------------------------------------------


class _Pickler(pickle._Pickler):
    """Pickles ``bytes`` as Python 2 ``str``, as in the official batches: read back as bytes
    with ``encoding='bytes'`` (keys ``b'data'``) and as str with ``'latin1'`` (``'data'``)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2str


def _pickled(value: dict) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=2).dump(value)
    return out.getvalue()


def _batch(label: str, x: np.ndarray, y: np.ndarray, first: int) -> bytes:
    """One batch file: rows of 3072 values, the red plane first, as the official ones."""
    names = [f"grader_{first + i:05d}.png".encode() for i in range(len(x))]
    return _pickled(
        {
            b"batch_label": label.encode(),
            b"labels": [int(v) for v in y.ravel()],
            b"data": np.ascontiguousarray(x.transpose(0, 3, 1, 2).reshape(len(x), -1)),
            b"filenames": names,
        }
    )


def _write_batches(folder: Path, split: tuple) -> None:
    (train_x, train_y), (test_x, test_y) = split
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(train_x), DATA_BATCHES + 1).astype(int)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True), start=1):
        label = f"training batch {i} of {DATA_BATCHES}"
        (folder / f"data_batch_{i}").write_bytes(_batch(label, train_x[lo:hi], train_y[lo:hi], lo))
    (folder / "test_batch").write_bytes(_batch("testing batch 1 of 1", test_x, test_y, 0))
    meta = {
        b"num_cases_per_batch": int(bounds[1]),
        b"label_names": [c.encode() for c in CLASSES],
        b"num_vis": 3072,
    }
    (folder / "batches.meta").write_bytes(_pickled(meta))
    (folder / "readme.html").write_text("CIFAR-10 as the grader serves it\n")


def _batch_folders(code: str) -> list[Path]:
    """Where the code looks for the batch folder: beside it, in Keras's cache, and at each
    relative or home path it names."""
    found = [Path(BATCHES), Path.home() / ".keras" / "datasets" / BATCHES]
    for prefix in re.findall(rf"['\"]([^'\"\n]*?){re.escape(BATCHES)}", code):
        path = Path(os.path.expanduser(prefix)) / BATCHES
        if not path.is_absolute() or path.is_relative_to(Path.home()):
            found.append(path)
    return list(dict.fromkeys(found))


def _batch_files(served: Served, code: str) -> None:
    """The official batches where code that reads them by hand looks (only such code pays
    for writing them): the grader's split, data batches from its training part and
    ``test_batch`` from its held-out part."""
    wanted = any(word in code for word in ("data_batch", "test_batch", BATCHES, ARCHIVE))
    if not wanted:
        return
    first, *others = _batch_folders(code)
    _write_batches(first, served.split)
    for folder in others:
        if not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.symlink_to(first.resolve(), target_is_directory=True)
    if ARCHIVE in code:
        with tarfile.open(ARCHIVE, "w:gz", compresslevel=1) as tar:
            tar.add(first.resolve(), arcname=BATCHES)
    served.serve(
        f"the official CIFAR-10 batch files ({BATCHES}/) hold the grader's images: data "
        "batches from its training part, test_batch from the held-out part of the training "
        "images"
    )


# --- class-per-folder image trees --------------------------------------------------------


def _write_images(folder: Path, x: np.ndarray, y: np.ndarray) -> None:
    import tensorflow as tf

    for name in CLASSES:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(x, y.ravel(), strict=True)):
        (folder / CLASSES[int(label)] / f"{i:05d}.png").write_bytes(tf.io.encode_png(image).numpy())


def _cifar_folder(served: Served, directory) -> None:
    """A class-per-folder tree at a CIFAR-10-looking path the code asks for that is not
    there: the held-out part for a test or validation folder, else the training part."""
    path = Path(os.fspath(directory))
    if path.exists() or not re.search(r"cifar", str(path), re.IGNORECASE):
        return
    _write_images(path, *served.part(path.name.lower()))
    part = "held-out" if path.name.lower() in HELD_OUT else "training"
    served.serve(
        f"the image folder {path} was filled with the {part} part of the grader's training "
        "images, one folder per class"
    )


def _image_folders(served: Served) -> None:
    from keras.src.legacy.preprocessing.image import ImageDataGenerator
    from keras.src.utils import image_dataset_utils

    original = image_dataset_utils.image_dataset_from_directory

    def image_dataset_from_directory(directory, *args, **kwargs):
        _cifar_folder(served, directory)
        return original(directory, *args, **kwargs)

    replace_everywhere(original, image_dataset_from_directory)
    flow = ImageDataGenerator.flow_from_directory

    def flow_from_directory(self, directory, *args, **kwargs):
        _cifar_folder(served, directory)
        return flow(self, directory, *args, **kwargs)

    ImageDataGenerator.flow_from_directory = flow_from_directory


# --- tensorflow_datasets -------------------------------------------------------------------

_TFDS_SPLITS = ("train", "test")
_SPLIT = re.compile(r"(train|test)(?:\[(-?\d*)(%?):(-?\d*)(%?)\])?")


def _bound(text: str, percent: str, n: int) -> int | None:
    if not text:
        return None
    return round(n * int(text) / 100) if percent else int(text)


def _tfds_part(served: Served, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of a tfds split string: "train", "test[:50%]", "train+test"."""
    xs, ys = [], []
    for piece in str(split).replace(" ", "").split("+"):
        match = _SPLIT.fullmatch(piece)
        if match is None:
            raise ValueError(f"Unknown split '{piece}'. Should be one of ['test', 'train'].")
        x, y = served.part(match[1])
        lo, hi = _bound(match[2], match[3], len(x)), _bound(match[4], match[5], len(x))
        xs.append(x[lo:hi])
        ys.append(y.ravel()[lo:hi].astype(np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _tfds_dataset(served: Served, split: str, batch_size: int | None, as_supervised: bool):
    import tensorflow as tf

    x, y = _tfds_part(served, split)
    if as_supervised:
        elements = (x, y)
    else:
        ids = np.array([f"{split}_{i:05d}".encode() for i in range(len(x))])
        elements = {"id": ids, "image": x, "label": y}
    if batch_size == -1:  # tfds: the whole split as tensors
        return tf.nest.map_structure(tf.constant, elements)
    ds = tf.data.Dataset.from_tensor_slices(elements)
    return ds.batch(batch_size) if batch_size else ds


@dataclass(frozen=True)
class _SplitInfo:
    name: str
    num_examples: int


class _Info:
    """What code reads of tfds's DatasetInfo for cifar10: features, splits, keys."""

    def __init__(self, tfds, served: Served):
        self.name, self.full_name = "cifar10", "cifar10/3.0.2"
        self.description = "CIFAR-10, as the grader serves it"
        self.features = tfds.features.FeaturesDict(
            {
                "id": tfds.features.Text(),
                "image": tfds.features.Image(shape=(32, 32, 3)),
                "label": tfds.features.ClassLabel(names=list(CLASSES)),
            }
        )
        self.supervised_keys = ("image", "label")
        self.splits = {n: _SplitInfo(n, len(served.part(n)[0])) for n in _TFDS_SPLITS}

    def __repr__(self) -> str:
        return f"tfds.core.DatasetInfo(name='cifar10', splits={list(self.splits)})"


def _tfds(tfds, served: Served) -> None:
    """tfds.load and tfds.builder serve the grader's split for cifar10, without network."""

    def check(name: str) -> None:
        base = str(name).split(":")[0].split("/")[0].lower()
        if base != "cifar10":
            raise served.refuse(OFF_TASK.get(base, base), f"tfds.load('{name}')")
        served.serve(
            f"tfds.load('{name}') served the grader's images: 'train' the training part, "
            "'test' the held-out part of the training images"
        )

    def datasets(split=None, batch_size=None, as_supervised=False, **ignored):
        if split is None:
            return {n: _tfds_dataset(served, n, batch_size, as_supervised) for n in _TFDS_SPLITS}
        if isinstance(split, (list, tuple)):
            return [_tfds_dataset(served, s, batch_size, as_supervised) for s in split]
        return _tfds_dataset(served, split, batch_size, as_supervised)

    def load(name, *, with_info=False, **kwargs):
        check(name)
        ds = datasets(**kwargs)
        return (ds, _Info(tfds, served)) if with_info else ds

    class Builder:
        def __init__(self, name, **ignored):
            check(name)
            self.info = _Info(tfds, served)

        def download_and_prepare(self, *args, **kwargs) -> None:
            pass

        def as_dataset(self, **kwargs):
            return datasets(**kwargs)

    tfds.load, tfds.builder = load, Builder
