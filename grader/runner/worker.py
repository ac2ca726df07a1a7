"""What a Dask worker runs for ``grade --cluster`` (the client is ``grader/runner/cluster.py``;
README, "Grading on a cluster"). A plugin installs the batch's sandbox data once per
worker, and the scheduler gives it to every worker that joins or restarts later; the task
runs one submission's two stages in this worker's own sandbox and sends back plain data.
Imported only on a cluster: it needs Dask.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import threading
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from distributed import WorkerPlugin, get_worker

from grader import collect, data
from grader.errors import UsageError
from grader.runner import sandbox, stages

_setup = threading.Lock()
_isolation: dict[str, sandbox.Isolation] = {}
_data: dict[str, Path] = {}  # data fingerprint -> this worker's sandbox data folder


def _root() -> Path:
    root = Path(tempfile.gettempdir()) / f"grader-worker-{os.getpid()}"
    root.mkdir(exist_ok=True)
    root.chmod(0o755)
    return root


class SandboxData(WorkerPlugin):
    """Training images with their labels and test images without: what a submission may
    see. Written into the worker's own folder when the plugin is set up."""

    def __init__(self, fingerprint: str, arrays: dict[str, np.ndarray]):
        self.name = f"grader-data-{fingerprint[:16]}"
        self.fingerprint, self.arrays = fingerprint, arrays

    def setup(self, worker) -> None:
        folder = _root() / "data" / self.fingerprint
        with _setup:
            if not (folder / ".complete").exists():
                data.write_arrays(self.arrays, folder)
                (folder / ".complete").touch()
            folder.chmod(0o755)
            _data[self.fingerprint] = folder


def unpack(packed: dict, root: Path) -> collect.Submission:
    """The submission back, in a folder of this worker's own."""
    shutil.rmtree(root, ignore_errors=True)
    for name, blob in packed["files"].items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
    return collect.Submission(
        packed["id"],
        Path(packed["origin"]),
        root / packed["entry"],
        root if packed["folder"] else None,
        packed["kind"],
        tuple(collect.Cell(n, source) for n, source in packed["cells"]),
    )


def to_wire(ran: sandbox.RunOutput, worker: str, isolation: sandbox.Isolation) -> dict:
    """What a worker sends back: JSON text, ``.npy`` bytes and plain values."""
    predictions = None
    if ran.predictions is not None:
        buffer = io.BytesIO()
        np.save(buffer, ran.predictions, allow_pickle=False)
        predictions = buffer.getvalue()
    return {
        "exit": asdict(ran.exit),
        "stage": ran.stage,
        "outcome": None if ran.outcome is None else json.dumps(ran.outcome),
        "predictions": predictions,
        "malformed": ran.malformed,
        "output": ran.output,
        "running": ran.running,
        "worker": worker,
        "isolation": isolation.to_json(),
        "machine": ran.machine,
    }


def _worker_isolation(mode: str) -> sandbox.Isolation:
    """Detected once per worker process."""
    with _setup:
        if mode not in _isolation:
            _isolation[mode] = sandbox.detect(mode)
        return _isolation[mode]


def remote_run(packed: dict, settings: stages.Settings, fingerprint: str, mode: str) -> dict:
    """The task: one submission's two stages in this worker's sandbox."""
    worker = get_worker()
    root = _root()
    try:
        isolation = _worker_isolation(mode)
    except UsageError as exc:
        raise UsageError(
            f"worker {worker.name} refuses to run submissions: {exc}; install bubblewrap there, "
            "or grade with --sandbox process to accept no isolation"
        ) from None
    weights = settings.weights if settings.weights and settings.weights.is_dir() else None
    here = replace(settings, isolation=isolation, data_dir=_data[fingerprint], weights=weights)
    job = root / f"job-{threading.get_ident()}"
    try:
        sub = unpack(packed, job / "submission")
        ran = stages.run(sub, here, job / "run")
    finally:
        shutil.rmtree(job, ignore_errors=True)
    return to_wire(ran, str(worker.name), isolation)
