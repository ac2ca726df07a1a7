"""Running a submission's process confined, and ending it and everything it started.

Trusted side. This level runs the harness as a separate process in its own
session with a cleared environment, a wall-time limit and a memory watchdog on
the whole process tree; bubblewrap isolation slots in here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

LEVEL = "process"
POLL_S = 0.25
WATCHDOG_MARGIN_MB = 512  # over the heap limit: the rlimit should fire first, cleanly


@dataclass(frozen=True)
class Exit:
    returncode: int | None
    timed_out: bool
    memory_exceeded: bool
    wall_s: float
    peak_rss_mb: float


def clean_env(home: Path, threads: int) -> dict[str, str]:
    """An allow-list: nothing from the grader's environment reaches the submission."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
        "OMP_NUM_THREADS": str(threads),
        "KERAS_HOME": str(home / ".keras"),
    }


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def _rss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _kill(pid: int, seen: dict[int, psutil.Process]) -> None:
    """SIGKILL the session and every descendant ever seen, detached or not."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for p in seen.values():
        try:
            p.kill()
        except psutil.Error:
            continue


def run(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    wall_time_s: float,
    memory_mb: int,
) -> Exit:
    started = time.monotonic()
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    root = psutil.Process(popen.pid)
    seen: dict[int, psutil.Process] = {}
    timed_out = memory_exceeded = False
    peak = 0.0
    try:
        while True:
            try:
                popen.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            tree = _tree(root)
            seen.update((p.pid, p) for p in tree)
            peak = max(peak, _rss_mb(tree))
            if peak > memory_mb + WATCHDOG_MARGIN_MB:
                memory_exceeded = True
            elif time.monotonic() - started > wall_time_s:
                timed_out = True
            if timed_out or memory_exceeded:
                break
    finally:
        _kill(popen.pid, seen)
        popen.wait()
    return Exit(
        popen.returncode,
        timed_out,
        memory_exceeded,
        round(time.monotonic() - started, 3),
        round(peak),
    )
