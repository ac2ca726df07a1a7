import os
import pickle
import tarfile

import numpy as np
import pytest

from grader import data
from grader.errors import UsageError
from tests.conftest import DATA


def test_reads_the_real_subset_with_any_number_of_rows(data_path):
    ds = _load(data_path)
    assert ds.train.images.shape == (5085, 32, 32, 3)
    assert ds.test.images.shape == (1017, 32, 32, 3)
    assert ds.train.images.dtype == np.uint8
    # The README's check: the test batch starts with cat, ship, ship, airplane, frog...
    assert ds.test.labels[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]


def _load(path: str) -> data.Dataset:
    return data.load(path, download=_no_download)


def _no_download() -> None:
    raise AssertionError("must not download when data is given")


def test_reads_the_official_tarball_layout(tmp_path):
    tarball = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(DATA / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    from_tar = data.load(str(tarball), download=_no_download)
    from_dir = _load(str(DATA))
    assert np.array_equal(from_tar.train.images, from_dir.train.images)
    assert np.array_equal(from_tar.test.labels, from_dir.test.labels)


def test_grader_data_variable_and_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_DATA", str(DATA))
    assert len(data.load(None, download=_no_download).test.labels) == 1017
    monkeypatch.delenv("GRADER_DATA")
    cache = tmp_path / "datasets"
    cache.mkdir()
    os.symlink(DATA / "cifar-10-batches-py", cache / "cifar-10-batches-py")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert len(data.load(None, download=_no_download).train.labels) == 5085


def test_no_data_and_failed_download_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADER_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    calls = []
    with pytest.raises(UsageError, match="no CIFAR-10 data found"):
        data.load(None, download=lambda: calls.append(1))
    assert calls == [1]


def test_refuses_a_pickle_that_would_run_code(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for name in [*data.TRAIN_FILES, data.TEST_FILE]:
        (folder / name).write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(UsageError, match="refusing to load"):
        data.load(str(tmp_path), download=_no_download)
    assert not marker.exists()


def test_budget_subsets_are_stratified_and_fixed(data_path):
    ds = _load(data_path)
    a = data.for_budget(ds, 1000, 500)
    b = data.for_budget(ds, 1000, 500)
    assert a.fingerprint == b.fingerprint
    assert np.array_equal(a.train.labels, b.train.labels)
    share = np.bincount(ds.train.labels, minlength=10) / len(ds.train.labels)
    got = np.bincount(a.train.labels, minlength=10) / 1000
    assert np.abs(share - got).max() < 0.002
    assert len(a.test.labels) == 500
    whole = data.for_budget(ds, 10**6, 2000)  # more than there is: everything
    assert len(whole.train.labels) == 5085 and len(whole.test.labels) == 1017


def test_sandbox_gets_test_images_but_no_test_labels(data_path, tmp_path):
    grading = data.for_budget(_load(data_path), 100, 100)
    data.write_for_sandbox(grading, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["test_x.npy", "train_x.npy", "train_y.npy"]
    assert np.array_equal(np.load(tmp_path / "test_x.npy", allow_pickle=False), grading.test.images)
    assert np.array_equal(
        np.load(tmp_path / "train_y.npy", allow_pickle=False), grading.train.labels
    )
