"""Running one submission in the sandbox: lay out its work dir, start the harness,
and read back what it left, trusting nothing (trusted side)."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader import sandbox
from grader.assignment import Assignment
from grader.collect import SKIPPED_NAMES, Submission

MAX_OUTCOME_BYTES = 8 * 2**20
OUTPUT_KEEP_BYTES = 16 * 1024  # of the submission's output, kept from each end


@dataclass(frozen=True)
class RunOutput:
    exit: sandbox.Exit
    outcome: dict | None  # None when the harness left nothing readable
    predictions: np.ndarray | None
    malformed: str | None  # why what it left could not be trusted
    output: str  # head and tail of what the run printed


def _copy_in(sub: Submission, work: Path) -> None:
    if sub.folder is None:
        shutil.copy2(sub.entry, work / sub.entry.name)
    else:
        shutil.copytree(
            sub.folder,
            work,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(*SKIPPED_NAMES, ".*"),
        )


def run(
    sub: Submission, assignment: Assignment, data_dir: Path, root: Path, n_test: int
) -> RunOutput:
    shutil.rmtree(root, ignore_errors=True)
    work, out = root / "work", root / "out"
    work.mkdir(parents=True)
    out.mkdir()
    _copy_in(sub, work)
    spec = assignment.spec
    entry = sub.entry.relative_to(sub.folder) if sub.folder else Path(sub.entry.name)
    job = {
        "kind": sub.kind,
        "entry_name": str(entry),
        "data_dir": str(data_dir),
        "out_dir": str(out),
        "memory_mb": spec.limits.memory_mb,
        "budget": vars(spec.budget),
        "cells": [{"number": c.number, "source": c.source} for c in sub.cells],
    }
    job_path = root / "job.json"
    job_path.write_text(json.dumps(job))
    argv = [sys.executable, "-I", "-m", "grader.inside", str(job_path)]
    env = sandbox.clean_env(work, spec.budget.threads)
    log = root / "output.log"
    exit_ = sandbox.run(argv, work, env, log, spec.limits.wall_time_s, spec.limits.memory_mb)
    outcome, predictions, malformed = read_back(out, n_test)
    return RunOutput(exit_, outcome, predictions, malformed, head_and_tail(log))


def head_and_tail(path: Path, keep: int = OUTPUT_KEEP_BYTES) -> str:
    size = path.stat().st_size if path.exists() else 0
    with path.open("rb") as f:
        if size <= 2 * keep:
            return f.read().decode("utf-8", errors="replace")
        head = f.read(keep)
        f.seek(size - keep)
        tail = f.read()
    cut = size - 2 * keep
    return (
        head.decode("utf-8", errors="replace")
        + f"\n[... {cut} bytes of output cut ...]\n"
        + tail.decode("utf-8", errors="replace")
    )


_FIELDS = {
    "ok": bool,
    "failure": (dict, type(None)),
    "errors": list,
    "inferred": list,
    "model_source": (str, type(None)),
    "architecture": (dict, type(None)),
    "history": (dict, type(None)),
    "timings": dict,
    "versions": dict,
}


def read_back(out: Path, n_test: int | None) -> tuple[dict | None, np.ndarray | None, str | None]:
    """Outcome and predictions as plain data; anything odd is the submission's fault."""
    path = out / "outcome.json"
    if not path.is_file():
        return None, None, None
    if path.stat().st_size > MAX_OUTCOME_BYTES:
        return None, None, "the run's outcome file is too large"
    try:
        outcome = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return None, None, "the run's outcome file is not valid JSON"
    if not isinstance(outcome, dict):
        return None, None, "the run's outcome file is not a JSON object"
    for key, kind in _FIELDS.items():
        if not isinstance(outcome.get(key), kind):
            return None, None, f"the run's outcome has a bad '{key}'"
    if not all(isinstance(e, dict) for e in outcome["errors"]) or not all(
        isinstance(s, str) for s in outcome["inferred"]
    ):
        return None, None, "the run's outcome has bad error records"
    if not outcome["ok"]:
        return outcome, None, None
    try:
        predictions = np.load(out / "predictions.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        return outcome, None, f"the run's predictions cannot be read ({exc})"
    if (
        predictions.dtype.kind != "f"
        or predictions.ndim != 2
        or predictions.shape[1] != 10
        or (n_test is not None and len(predictions) != n_test)
    ):
        return outcome, None, f"the run's predictions have shape {predictions.shape}"
    return outcome, predictions, None
