"""Grading on a Dask cluster (``grade --cluster tcp://HOST:PORT``; README, "Grading on a
cluster"). Each run of a submission's two sandboxed stages goes to a worker, which
returns plain data: the outcome as JSON and the predictions as ``.npy`` bytes. Accuracy,
checks and scores stay in the grader's own process. Workers get the training images with
labels and the test images without, once each (a worker plugin); the test labels never
leave this process.

This is the client side; what a worker runs is ``grader/runner/worker.py``. A worker is a
machine with the grader installed, trusted like this one; the submission still runs only
inside the worker's sandbox.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging

import numpy as np

from grader import collect, data
from grader.errors import GraderFault, UsageError
from grader.judging.verdict import Problem
from grader.reporting.results import LOST
from grader.runner import sandbox, stages


class MachineLost(Exception):
    """The workers running a submission died (killed, out of memory, machine gone) as
    many times as the scheduler allows: not the student's doing."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class Cluster:
    """A Dask scheduler this batch's runs go to, with the sandbox's data on every worker."""

    def __init__(self, address: str, grading: data.GradingData, sandbox_mode: str):
        """``sandbox_mode``: the --sandbox mode every worker detects its sandbox with."""
        try:
            from distributed import Client
        except ImportError:
            raise UsageError(
                '--cluster needs Dask distributed: pip install "grader[cluster]"'
            ) from None
        quiet()
        try:
            self.client = Client(address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"--cluster {address}: no Dask scheduler answers there ({exc})"
            ) from None
        self.address = address
        # a worker without the full sandbox refuses, unless the grader was told process
        self.mode = "strict" if sandbox_mode == "auto" else sandbox_mode
        from grader.runner import worker

        # once per worker, and to every worker that joins or restarts later
        self.plugin = worker.SandboxData(grading.fingerprint, data.for_sandbox(grading))
        self.client.register_plugin(self.plugin)
        self.fingerprint = grading.fingerprint

    def describe(self) -> str:
        workers = self.client.nthreads()
        needs = "the grader" if self.mode == sandbox.PROCESS else "the grader and bubblewrap"
        return (
            f"{self.address}, {len(workers)} workers, {sum(workers.values())} threads; "
            f"each worker runs submissions itself and needs {needs}"
        )

    def threads(self) -> int:
        """How many runs the workers take at once."""
        return max(1, sum(self.client.nthreads().values()))

    def run(self, sub: collect.Submission, settings: stages.Settings) -> sandbox.RunOutput:
        """One run on some worker; the scheduler moves it elsewhere when its worker dies."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        from grader.runner import worker

        future = self.client.submit(
            worker.remote_run, pack(sub), settings, self.fingerprint, self.mode, pure=False
        )
        try:
            return from_wire(future.result())
        except KilledWorker as exc:
            raise MachineLost(lost(exc)) from None
        except (FutureCancelledError, OSError, TimeoutError) as exc:  # the scheduler is gone
            raise GraderFault(
                f"the Dask scheduler at {self.address} stopped answering "
                f"({type(exc).__name__}: {str(exc)[:200]}); "
                "every result finished so far is kept: run the same command again to grade "
                "the rest"
            ) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a scheduler already gone has nothing to close
            self.client.unregister_worker_plugin(self.plugin.name)
        with contextlib.suppress(Exception):  # the workers' warm parents, kept per batch
            self.client.run(sandbox.release)
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)


def quiet() -> None:
    """Silence Dask's and Tornado's own logging in this process: a lost scheduler is told
    once, by ``Cluster.run``, not by their tracebacks from background tasks."""
    for name in ("distributed", "tornado", *logging.root.manager.loggerDict):
        if name.split(".")[0] in ("distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def expected(sandbox_mode: str) -> sandbox.Isolation:
    """The isolation every worker must have: the full sandbox (warm stages or bubblewrap,
    each worker's own result says which), unless told --sandbox process."""
    if sandbox_mode == sandbox.PROCESS:
        return sandbox.Isolation(
            sandbox.PROCESS, ("bubblewrap: not used (--sandbox process)",), False, sandbox_mode
        )
    return sandbox.Isolation(sandbox.BUBBLEWRAP, (), False, sandbox_mode)


def lost(exc: Exception) -> Problem:
    return Problem(
        LOST,
        "the grading machine was lost while running this submission: the workers running "
        f"it died ({exc}); this is not a verdict on your code",
        "nothing to change in your code: it will be graded again when the grader runs again",
    )


def pack(sub: collect.Submission) -> dict:
    """A submission as plain data: its files (a student's folder, or the one file)."""
    base = sub.folder or sub.entry.parent
    paths = collect.sandbox_files(sub)
    return {
        "id": sub.id,
        "origin": str(sub.origin),
        "entry": str(sub.entry.relative_to(base)),
        "folder": sub.folder is not None,
        "kind": sub.kind,
        "cells": [(c.number, c.source) for c in sub.cells],
        "files": {str(p.relative_to(base)): p.read_bytes() for p in paths},
    }


def from_wire(got: dict) -> sandbox.RunOutput:
    predictions = got["predictions"]
    return sandbox.RunOutput(
        sandbox.Exit(**got["exit"]),
        got["stage"],
        None if got["outcome"] is None else json.loads(got["outcome"]),
        None if predictions is None else np.load(io.BytesIO(predictions), allow_pickle=False),
        got["malformed"],
        got["output"],
        got["running"],
        worker=got["worker"],
        isolation=got["isolation"],
        machine=got["machine"],
    )
