"""Shared test helpers: the real CIFAR-10 subset, the bundled assignment, a tiny budget."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"
SPEC = ROOT / "assignments" / "cifar10_cnn" / "assignment.toml"
EXAMPLES = ROOT / "assignments" / "cifar10_cnn" / "examples"
REFERENCE = ROOT / "reference" / "cifar10_cnn" / "solution.py"
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
PREVIOUS_RESULT = Path(__file__).resolve().parent / "schemas" / "result-0.2.0.json"

# A budget for tests that are not about the standard one: seconds, not minutes. `check`
# uses it too. Its calibration is made once per session, by the first grading that
# needs it, beside a copy of the reference (see tiny_reference).
TINY = {
    "train_images": 600,
    "epochs": 3,  # with 1, the reference is at chance for some seeds: no threshold
    "test_images": 300,
    "fit_samples": 64,
    "wall_time_s": 120,
    "check_budget": "standard",
    "max_seeds": 1,  # more seeds near a threshold: only where a test is about it
}


def pytest_xdist_auto_num_workers(config) -> int:
    """Two workers at most: each grades its batches with up to two jobs on the machine's
    cores, and the limits the tests set leave room for two batches side by side, not more."""
    return min(2, os.cpu_count() or 1)


# The files that take longest (their batches), longest first: the two workers take files
# in this order as they free up, so no long file starts last while the other worker idles.
# From `--durations` on the Xeon, December 2026; a file not named keeps its place after.
LONGEST_FIRST = (
    "test_hostile.py",
    "test_examples.py",
    "test_environment.py",
    "test_cluster.py",
    "test_validity.py",
    "test_unseen.py",
    "test_reproducibility.py",
    "test_similarity.py",
    "test_fallback.py",
    "test_bad_submissions.py",
    "test_compat.py",
    "test_rules.py",
    "test_reasons.py",
)


def pytest_collection_modifyitems(items: list) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable


def pytest_sessionfinish(session) -> None:
    """The warm parents the suite's commands kept warm end with it (in the controller,
    once every worker is done)."""
    if not hasattr(session.config, "workerinput"):
        from grader.runner.warm import client

        client.stop_all()


@pytest.fixture(scope="session", autouse=True)
def every_result_is_a_valid_result(tmp_path_factory):
    """Every ``result.json`` the grader wrote during this worker's tests, read back through
    ``Result`` and checked against the published schema (at the worker's end)."""
    yield
    import jsonschema

    from grader.result_schema import Result

    schema = json.loads((ROOT / "docs" / "result.schema.json").read_text())
    bad = []
    for path in tmp_path_factory.getbasetemp().rglob("result.json"):
        data = json.loads(path.read_text())
        if "grader_version" not in data:  # a test's own stand-in, not the grader's
            continue
        try:
            jsonschema.validate(Result.from_json(data).to_json(), schema)
        except (ValueError, jsonschema.ValidationError) as exc:
            bad.append(f"{path}: {str(exc)[:300]}")
    assert not bad, "\n".join(bad[:10])


@pytest.fixture(scope="session", autouse=True)
def tiny_reference(tmp_path_factory, worker_id: str) -> Path:
    """A copy of the reference folder (solution only), so the tiny budget's calibration
    never lands in the project. One for the whole run: xdist's workers share it, and the
    first grading that needs the calibration makes it while the other worker waits."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the run's folder, above each worker's own
    folder = root / "tiny-reference"
    with open(root / "tiny-reference.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not folder.is_dir():
            folder.mkdir()
            shutil.copy2(REFERENCE, folder / REFERENCE.name)
    TINY["reference"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def data_path() -> str:
    assert DATA.is_dir(), f"the shared CIFAR-10 subset is missing at {DATA}"
    return str(DATA)


def spec_text(**changes: object) -> str:
    """The bundled spec with single keys changed (keys are unique in the file); the
    reference path is made absolute so the copy finds it from anywhere."""
    text = SPEC.read_text()
    changes = {"reference": str(REFERENCE.parent), **changes}
    for key, value in changes.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {json.dumps(value)}", text)
        assert n == 1, key
    return text


@pytest.fixture
def tiny_spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec" / "assignment.toml"
    path.parent.mkdir()
    path.write_text(spec_text(**TINY))
    return path


def cli(*args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )


def grade_args(paths: list, spec: Path, out: Path, data_path: str, *options: str) -> list[str]:
    """`grader grade`'s arguments for these paths, spec, results folder and data."""
    return [
        "grade",
        *map(str, paths),
        "--out",
        str(out),
        "--data",
        data_path,
        "--assignment",
        str(spec),
        *options,
    ]


def tiny_batch(
    factory, data_path: str, paths: list, *options: str, env: dict | None = None, **limits
) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """`grader grade` over ``paths`` at the tiny budget (limits changed as given), in a
    fresh output folder; asserts a verdict for everything (exit 0)."""
    spec = factory.mktemp("spec") / "assignment.toml"
    spec.write_text(spec_text(**{**TINY, **limits}))
    out = factory.mktemp("out")
    done = cli(*grade_args(paths, spec, out, data_path, *options), env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, spec, done


def results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def a_result(**fields: object):
    """A real result (the previous release's, upgraded on reading) with the given fields:
    for tests of what reads results, without grading anything."""
    from grader.result_schema import Result

    return replace(Result.from_json(json.loads(PREVIOUS_RESULT.read_text())), **fields)
