"""Running one submission in the sandbox (trusted side).

Two confined stages start together: the *student* stage runs the submission's code and
exports its model; the *trainer* stage, which never runs submission code, rebuilds,
trains and evaluates it (importing TensorFlow meanwhile, so the split costs no wall
time). Back come plain data only: JSON and ``.npy`` loaded without pickle.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from grader import collect
from grader.collect import Submission
from grader.inside import protocol
from grader.runner import pretrained, sandbox
from grader.spec_types import Budget, Limits

MAX_OUTCOME_BYTES = 8 * 2**20
UID_BASE = 61000  # as root, slot s runs its two stages as uids UID_BASE + 2s and + 2s + 1
SLOTS = 128
SLOT_LOCKS = Path(tempfile.gettempdir()) / f"grader-slots-{os.getuid()}"  # a lock file per slot


@contextmanager
def _slot() -> Iterator[int]:
    """A slot no other run on this machine holds, whichever process it is in (grader
    batches side by side, cluster workers): its uids, and so its process limit, are its
    own. An exclusive lock on the slot's file, released when the run ends."""
    SLOT_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for slot in range(SLOTS):
        with open(SLOT_LOCKS / str(slot), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield slot
            return
    raise RuntimeError(f"all {SLOTS} sandbox slots of this machine are taken")


@dataclass(frozen=True)
class Settings:
    """What every run of a batch shares."""

    budget: Budget
    limits: Limits
    isolation: sandbox.Isolation
    data_dir: Path  # training images and labels, test images: nothing else
    n_test: int
    max_params: int | None = None  # above it, rejected before any training
    model_variable: str | None = None  # the spec's name for the model to grade
    weights: Path | None = None  # pretrained Keras weights, shown read-only where Keras looks
    compatibility: str = "translate"  # old Keras/NumPy APIs: "translate" or "strict"


def run(sub: Submission, settings: Settings, root: Path) -> sandbox.RunOutput:
    with _slot() as slot:
        return _run(sub, settings, root, slot)


def _layout(sub: Submission, root: Path) -> dict[str, Path]:
    shutil.rmtree(root, ignore_errors=True)
    dirs = {name: root / name for name in ("submission", "exchange", "out", "home", "home_t")}
    for path in dirs.values():
        path.mkdir(parents=True)
    base = sub.folder or sub.entry.parent
    for path in collect.sandbox_files(sub):
        target = dirs["submission"] / path.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    for path in dirs.values():  # readable by the sandbox's own uid, whatever the modes were
        path.chmod(0o755)
    for folder, subfolders, files in os.walk(dirs["submission"]):
        for name in subfolders:
            (Path(folder) / name).chmod(0o755)
        for name in files:
            (Path(folder) / name).chmod(0o644)
    (dirs["home"] / ".tmp").mkdir()
    (dirs["home_t"] / ".tmp").mkdir()
    return dirs


def _box(
    settings: Settings,
    stage: str,
    job: dict,
    binds: dict[str, tuple[Path, bool]],
    home: Path,
    uid: int | None,
    job_path: Path,
) -> sandbox.Box:
    iso = settings.isolation
    inside = {name: sandbox.path_inside(iso, name, host) for name, (host, _) in binds.items()}
    paths = {name.strip("/"): path for name, path in inside.items()}
    job = protocol.job(stage, asdict(settings.budget), asdict(settings.limits), paths, **job)
    job["requested_at"] = time.monotonic()  # the stage's start-up: from here to its first line
    job_path.write_text(json.dumps(job))
    binds = {**binds, "/job.json": (job_path, False)}
    if settings.weights is not None and iso.namespaced:
        binds[sandbox.KERAS_MODELS] = (settings.weights, False)
    argv = [  # -s -P and the sandbox's own environment isolate as -I would; unlike -I,
        sys.executable,  # they keep its PYTHONHASHSEED: the hash seed is pinned
        "-s",
        "-P",
        "-m",
        "grader.inside",
        stage,
        sandbox.path_inside(iso, "/job.json", job_path),
    ]
    return sandbox.Box(
        argv, binds, sandbox.environment(iso, home, settings.budget.threads), settings.limits, uid
    )


def _link_weights(home: Path, cache: Path) -> None:
    """Process fallback: $KERAS_HOME/models holds a link to each cached file, so Keras finds
    them and anything it downloads stays in the run's own folder, never in the cache."""
    models = home / ".keras" / "models"
    models.mkdir(parents=True)
    for path in pretrained.files(cache):
        (models / path.name).symlink_to(path)


def _own(path: Path, uid: int) -> None:
    """A stage's folder and all in it belong to that stage's uid (the process fallback
    works in them directly; the other stage's uid cannot write there)."""
    for folder, subdirs, files in os.walk(path):
        for entry in [folder, *(Path(folder) / n for n in subdirs + files)]:
            os.chown(entry, uid, uid, follow_symlinks=False)


def _supervise(
    confined: sandbox.Confined, deadline: float, code_done: tuple[float, Path] | None = None
) -> sandbox.Exit:
    """Wait for a stage, looking at its limits; ``code_done`` is the code-phase deadline
    and the marker that ends that phase (student stage)."""
    while not confined.done():
        try:
            confined.popen.wait(timeout=sandbox.POLL_S)
        except subprocess.TimeoutExpired:  # time for a look
            if confined.watch(deadline):
                break
            if code_done and time.monotonic() > code_done[0] and not code_done[1].exists():
                confined.breach = sandbox.CODE_TIME
                break
    return confined.stop()


def _read_json(path: Path, most: int = 2**20) -> object:
    """A small JSON file a stage wrote, or None."""
    try:
        with path.open("rb") as f:
            return json.loads(f.read(most))
    except (OSError, ValueError):
        return None


def _running(exchange: Path) -> dict | None:
    """Where the student's code was last seen running (its heartbeat), when it says, and
    the errors its code had raised so far (``errors``), when there were any."""
    where = protocol.running(_read_json(exchange / protocol.HEARTBEAT))
    failed = protocol.failed_so_far(_read_json(exchange / protocol.FAILED_SO_FAR))
    if failed:
        return {**(where or {}), "errors": failed}
    return where


def _run(sub: Submission, settings: Settings, root: Path, slot: int) -> sandbox.RunOutput:
    dirs = _layout(sub, root)
    if settings.weights is not None and not settings.isolation.namespaced:
        _link_weights(dirs["home"], settings.weights)
        _link_weights(dirs["home_t"], settings.weights)
    drop = settings.isolation.drop_uid
    uid_student = UID_BASE + 2 * slot if drop else None
    uid_trainer = UID_BASE + 2 * slot + 1 if drop else None
    if drop:
        for name, uid in (("exchange", uid_student), ("home", uid_student)):
            _own(dirs[name], uid)
        for name, uid in (("out", uid_trainer), ("home_t", uid_trainer)):
            _own(dirs[name], uid)
    entry = sub.entry.relative_to(sub.folder) if sub.folder else Path(sub.entry.name)
    data = (settings.data_dir, False)
    student = _box(
        settings,
        protocol.STUDENT,
        {
            "kind": sub.kind,
            "entry_name": str(entry),
            "cells": [{"number": c.number, "source": c.source} for c in sub.cells],
            "max_params": settings.max_params,
            "model_variable": settings.model_variable,
            "compatibility": settings.compatibility,
        },
        {
            "/data": data,
            "/submission": (dirs["submission"], False),
            "/exchange": (dirs["exchange"], True),
        },
        dirs["home"],
        uid_student,
        root / "student.json",
    )
    trainer = _box(
        settings,
        protocol.TRAINER,
        {},
        {"/data": data, "/exchange": (dirs["exchange"], False), "/out": (dirs["out"], True)},
        dirs["home_t"],
        uid_trainer,
        root / "trainer.json",
    )
    cap = 4 * settings.budget.train_images * 3072 * 4 + 64 * 2**20  # arrays it may hand over
    iso = settings.isolation
    first = sandbox.Confined(iso, student, dirs["home"], {dirs["exchange"]: cap})
    second = sandbox.Confined(iso, trainer, dirs["home_t"], {dirs["out"]: 64 * 2**20})
    deadline = first.started + settings.limits.wall_time_s

    code_deadline = first.started + settings.limits.code_time_s
    exit_student = _supervise(
        first, deadline, (code_deadline, dirs["exchange"] / protocol.CODE_DONE)
    )
    outcome, predictions, malformed = read_back(dirs["exchange"], settings.n_test)
    result = sandbox.RunOutput(
        exit_student,
        protocol.STUDENT,
        outcome,
        predictions,
        malformed,
        first.output.text(),
        _running(dirs["exchange"]) if exit_student.breach or not outcome else None,
    )
    if exit_student.breach or malformed or not outcome or outcome.get("mode") != protocol.EXPORTED:
        second.stop()
        return result
    exit_trainer = _supervise(second, deadline)
    trained, predictions, malformed = read_back(dirs["out"], settings.n_test)
    output = result.output
    if trained is None or trained["failure"] or exit_trainer.breach:
        output += "\n[--- the grader's training process ---]\n" + second.output.text()
    if trained is not None:
        trained = protocol.merge(outcome, trained)
    return sandbox.RunOutput(
        exit_trainer, protocol.TRAINER, trained, predictions, malformed, output
    )


def read_back(out: Path, n_test: int) -> tuple[dict | None, np.ndarray | None, str | None]:
    """Outcome and predictions as plain data; anything odd is the submission's fault."""
    path = out / protocol.OUTCOME
    if not path.is_file():
        return None, None, None
    if path.stat().st_size > MAX_OUTCOME_BYTES:
        return None, None, "the run's outcome file is too large"
    try:
        outcome = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return None, None, "the run's outcome file is not valid JSON"
    malformed = protocol.problem(outcome)
    if malformed:
        return None, None, malformed
    if not outcome["ok"] or outcome["mode"] == protocol.EXPORTED:
        return outcome, None, None
    try:
        predictions = np.load(out / protocol.PREDICTIONS, allow_pickle=False)
    except (OSError, ValueError) as exc:
        return outcome, None, f"the run's predictions cannot be read ({exc})"
    if (
        predictions.dtype.kind != "f"
        or predictions.ndim != 2
        or predictions.shape[1] != 10
        or len(predictions) != n_test
    ):
        return outcome, None, f"the run's predictions have shape {predictions.shape}"
    return outcome, predictions, None
