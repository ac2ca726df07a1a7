"""Grading on a real Dask cluster on this machine: a `dask scheduler` and two
`dask worker` processes (one thread each), real submissions at the tiny budget. The same
grades as local grading, both workers used, nothing lost when a worker is killed or the
scheduler stops, and the test labels never sent to a worker."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from grader import data
from grader.runner.warm import client
from tests.conftest import EXAMPLES, ROOT, TINY, cli, grade_args, results, spec_text

pytestmark = pytest.mark.slow

DASK = Path(sys.executable).with_name("dask")
SUBS = ["good_cnn.py", "good_cnn_notebook.ipynb", "dense_only.py", "keras1_cheatsheet.py"]
SAME = ("status", "accuracy", "score", "passed", "confusion", "checks")
SPY = """
import itertools, os, pickle
import distributed

_count = itertools.count()


def _spy(name):
    original = getattr(distributed.Client, name)

    def spy(self, *args, **kwargs):
        path = os.path.join(os.environ["GRADER_SPY"], f"{name}-{next(_count)}.pkl")
        with open(path, "wb") as f:
            pickle.dump((args, kwargs), f)
        return original(self, *args, **kwargs)

    setattr(distributed.Client, name, spy)


_spy("register_plugin")
_spy("submit")
"""


class Dask:
    """A scheduler and its workers, each a process of its own."""

    def __init__(self, folder: Path, workers: int = 2, env: dict | None = None):
        self.folder, self.env = folder, env or {}
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / "scheduler.json"
        self.scheduler = self._start(
            "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)
        )
        deadline = time.monotonic() + 60
        while not file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        # each worker's warm parents listen in a folder of its own, as on machines of
        # their own: a stage under one of them is that worker's
        self.warm = [folder / f"warm-w{i + 1}" for i in range(workers)]
        self.workers = []
        for i, warm in enumerate(self.warm):
            warm.mkdir(mode=0o700, exist_ok=True)
            args = ("worker", self.address, "--nthreads", "1", "--name", f"w{i + 1}")
            self.workers.append(self._start(*args, "--no-dashboard", XDG_RUNTIME_DIR=str(warm)))
        self._wait_for(workers)

    def _start(self, *args: str, **variables: str) -> subprocess.Popen:
        log = (self.folder / f"{args[0]}-{len(list(self.folder.glob('*.log')))}.log").open("w")
        env = {
            **os.environ,
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",  # one retry (README)
            **self.env,
            **variables,
        }
        return subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, env=env)

    def _wait_for(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n, timeout=120)

    def worker_running_a_sandbox(self, timeout: float = 300) -> psutil.Process:
        """A worker process (under its nanny) that is running a submission right now."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for nanny, warm in zip(self.workers, self.warm, strict=True):
                for worker in psutil.Process(nanny.pid).children():
                    below = [*worker.children(recursive=True), *_warm_stages(warm)]
                    if any(_a_stage(p) for p in below):
                        return worker
            time.sleep(0.5)
        raise AssertionError("no worker ever ran a submission")

    def stop(self) -> None:
        for warm in self.warm:  # the workers' warm parents end with them
            client.stop_all(warm)
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _warm_stages(warm: Path) -> list[psutil.Process]:
    """The processes under the warm parents that listen in ``warm``."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if str(warm) in " ".join(p.info["cmdline"] or []):
                found += p.children(recursive=True)
    return found


def _a_stage(p: psutil.Process) -> bool:
    """A sandboxed stage: under bubblewrap, ``python -m grader.inside``; on the warm path,
    a process the warm parent forked (its command line is the parent's)."""
    try:
        line = " ".join(p.cmdline())
        return "grader.inside" in line or (
            "grader.runner.warm.parent" in line
            and "grader.runner.warm.parent" in " ".join(p.parent().cmdline())
        )
    except (psutil.Error, AttributeError):
        return False


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cluster_spec") / "assignment.toml"
    path.write_text(spec_text(**TINY))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    made = tmp_path_factory.mktemp("cluster_class")
    for name in SUBS:
        shutil.copy(EXAMPLES / name, made / name)
    return made


def grade(folder: Path, spec: Path, out: Path, data_path: str, *options: str, env=None):
    return cli(*grade_args([folder], spec, out, data_path, *options), env=env)


def started(folder: Path, spec: Path, out: Path, data_path: str, *options: str):
    """`grader grade` running in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "grader", *grade_args([folder], spec, out, data_path, *options)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def local(folder, spec, tmp_path_factory, data_path) -> dict:
    """The same folder graded on this machine (this also calibrates the tiny budget)."""
    out = tmp_path_factory.mktemp("local_out")
    done = grade(folder, spec, out, data_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return results(out)


@pytest.fixture(scope="module")
def dask(tmp_path_factory):
    found = Dask(tmp_path_factory.mktemp("dask"))
    yield found
    found.stop()


@pytest.fixture(scope="module")
def on_cluster(local, dask, folder, spec, tmp_path_factory, data_path):
    """Graded through --cluster, with what the client hands to Dask recorded."""
    out, spy = tmp_path_factory.mktemp("cluster_out"), tmp_path_factory.mktemp("spy")
    (spy / "sitecustomize.py").write_text(SPY)
    env = {**os.environ, "PYTHONPATH": str(spy), "GRADER_SPY": str(spy)}
    done = grade(folder, spec, out, data_path, "--cluster", dask.address, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return results(out), done, spy


def same(a: dict, b: dict) -> None:
    """The same grade: everything but how long it took."""

    def grade(r: dict) -> dict:
        runs = [(x["seed"], x["accuracy"]) for x in (r["seeds"] or {}).get("runs", [])]
        return {**{k: r[k] for k in SAME}, "seeds": runs}

    assert grade(a) == grade(b), a["submission"]


def test_cluster_grades_are_bit_identical_to_local_ones(local, on_cluster):
    found, done, _ = on_cluster
    assert set(found) == set(local) == {Path(s).stem for s in SUBS}
    for name, result in found.items():
        same(result, local[name])
        curves = (result["history"] or {}).get("curves")
        assert curves == (local[name]["history"] or {}).get("curves")
    assert "cluster: tcp://" in done.stderr and "2 workers" in done.stderr


def test_both_workers_are_used_and_recorded(on_cluster):
    found, done, _ = on_cluster
    workers = {r["worker"] for r in found.values() if r["status"] == "graded"}
    assert workers == {"w1", "w2"}
    assert all(r["sandbox"]["level"] == "warm" for r in found.values())  # each worker's own
    assert " on w1" in done.stdout and " on w2" in done.stdout


def test_the_test_labels_are_never_sent_to_a_worker(on_cluster, data_path):
    _, _, spy = on_cluster
    budget = {k: TINY[k] for k in ("train_images", "test_images")}
    grading = data.for_budget(data.load(data_path), **budget)
    sent = {p.name: p.read_bytes() for p in spy.glob("*.pkl")}
    shipped = [blob for name, blob in sent.items() if name.startswith("register_plugin")]
    assert len(shipped) == 1 and len(sent) > 1  # the data once; tasks after it
    assert grading.train.labels.tobytes() in shipped[0]  # the spy sees arrays...
    assert grading.test.images.tobytes() in shipped[0]
    for name, blob in sent.items():  # ...and never the test labels
        assert grading.test.labels.tobytes() not in blob, name
        pickle.loads(blob)  # what was recorded is what was sent, whole


def test_a_killed_worker_loses_nothing(local, dask, folder, spec, tmp_path, data_path):
    out = tmp_path / "out"
    with started(folder, spec, out, data_path, "--cluster", dask.address) as proc:
        victim = dask.worker_running_a_sandbox()
        victim.send_signal(signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-3000:]
    found = results(out)
    assert set(found) == set(local)
    for name, result in found.items():
        same(result, local[name])  # the same grade, and nobody blamed for the lost worker
        assert (result["failure"] or {}).get("kind") != "lost"
    dask._wait_for(2)  # its nanny started it again


def test_scheduler_stopped_mid_batch_keeps_results_and_a_rerun_completes(
    local, folder, spec, tmp_path, data_path
):
    first = Dask(tmp_path / "first")
    out = tmp_path / "out"
    try:
        with started(
            folder, spec, out, data_path, "--cluster", first.address, "--jobs", "1"
        ) as proc:
            deadline = time.monotonic() + 600
            while not list(out.glob("*/result.json")):
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
                time.sleep(0.5)
            first.scheduler.send_signal(signal.SIGKILL)
            stdout, stderr = proc.communicate(timeout=300)
    finally:
        first.stop()
    assert proc.returncode == 1, stderr[-3000:]
    assert "stopped answering" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    kept = results(out)
    assert 1 <= len(kept) < len(SUBS)
    second = Dask(tmp_path / "second")
    try:
        done = grade(folder, spec, out, data_path, "--cluster", second.address)
    finally:
        second.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("(unchanged, reused)") == len(kept)
    found = results(out)
    assert set(found) == set(local)
    for name, result in found.items():
        same(result, local[name])
        if name in kept:
            assert result == kept[name]


def test_a_worker_without_bubblewrap_refuses_it_unless_told_process(
    local, spec, tmp_path, data_path
):
    """Told --sandbox bubblewrap, a worker without it refuses (with the default, it would
    run warm stages, which need no bubblewrap)."""
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(EXAMPLES / "good_cnn.py", one / "good_cnn.py")
    (tmp_path / "bin").mkdir()  # a PATH without bwrap
    bare = Dask(tmp_path / "bare", workers=1, env={"PATH": str(tmp_path / "bin")})
    try:
        refused = grade(
            one,
            spec,
            tmp_path / "refused",
            data_path,
            "--cluster",
            bare.address,
            "--sandbox",
            "bubblewrap",
        )
        accepted = grade(
            one,
            spec,
            tmp_path / "accepted",
            data_path,
            "--cluster",
            bare.address,
            "--sandbox",
            "process",
        )
    finally:
        bare.stop()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "worker w1 refuses to run submissions" in refused.stderr
    assert "bubblewrap is not installed" in refused.stderr and "--sandbox process" in refused.stderr
    assert not (tmp_path / "refused" / "good_cnn" / "result.json").exists()
    assert accepted.returncode == 0, accepted.stderr[-3000:]
    result = results(tmp_path / "accepted")["good_cnn"]
    assert result["worker"] == "w1" and result["sandbox"]["level"] == "process"
    assert result["accuracy"] == local["good_cnn"]["accuracy"]
