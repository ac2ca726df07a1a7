"""The grader's side of the warm path (trusted side): a warm parent per stage
environment, asked for each stage; the handle it gives back is watched and ended by
``sandbox.Confined`` as a bubblewrap process is."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict

from grader.warm import wire

READY_TIMEOUT_S = 180  # importing TensorFlow on a busy machine


class WarmFailed(RuntimeError):
    """The warm parent could not start, or stopped answering."""


class Stage:
    """A stage the warm parent forked, with the part of ``subprocess.Popen`` that
    ``sandbox.Confined`` uses. Its exit status comes from the parent; it is ended through
    a pidfd, never through a pid that may have been reused."""

    def __init__(self, pid: int, pidfd: int, stdout):
        self.pid, self.pidfd, self.stdout = pid, pidfd, stdout
        self.returncode: int | None = None
        self._ended = threading.Event()

    def end(self, code: int) -> None:
        self.returncode = code
        self._ended.set()
        with contextlib.suppress(OSError):
            os.close(self.pidfd)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired("warm stage", timeout)
        return self.returncode

    def kill(self) -> None:
        if not self._ended.is_set():
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)


class Parent:
    """One warm parent process and the stages it forked."""

    def __init__(self, env: dict[str, str]):
        self.base = tempfile.mkdtemp(prefix="grader-warm-")  # where each stage builds its root
        os.chmod(self.base, 0o755)
        self.sock, theirs = wire.pair()
        # what the parent says, read only if it fails; open as long as it runs (close())
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-s", "-P", "-m", "grader.warm.parent", str(theirs.fileno())]
            + [self.base],
            env=env,
            cwd=self.base,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        theirs.close()
        self.replies: queue.Queue = queue.Queue()
        self.stages: dict[int, Stage] = {}
        self.ended_early: dict[int, int] = {}  # ended before its request had its reply
        self.lock = threading.Lock()  # one request and its reply at a time
        self.stages_lock = threading.Lock()
        self.ready = self._ready()
        threading.Thread(target=self._listen, daemon=True).start()

    def _ready(self) -> dict:
        self.sock.settimeout(READY_TIMEOUT_S)
        try:
            message, _ = wire.receive(self.sock)
        except (OSError, ValueError) as exc:
            message = {"error": str(exc)}
        finally:
            self.sock.settimeout(None)
        if not message or "ready" not in message:
            self.process.kill()
            self.process.wait()
            self.log.seek(0)
            why = self.log.read().decode(errors="replace").strip()[-400:]
            raise WarmFailed(f"the warm parent did not start: {why or message}")
        return message

    def _listen(self) -> None:
        """Route the parent's messages: replies to requests, and stages that ended."""
        while True:
            try:
                message, fds = wire.receive(self.sock)
            except OSError:
                message, fds = None, []
            if message is None:
                for stage in list(self.stages.values()):
                    stage.end(-signal.SIGKILL)  # the parent died, and its stages with it
                self.replies.put(None)
                return
            if "ended" in message:
                with self.stages_lock:
                    stage = self.stages.pop(message["ended"], None)
                    if stage is None:
                        self.ended_early[message["ended"]] = message["code"]
                if stage is not None:
                    stage.end(message["code"])
            else:
                self.replies.put((message, fds))

    def spawn(self, argv: list[str], env: dict, uid: int | None, mounts: list) -> Stage:
        """Fork a confined stage running ``argv`` (``python -s -P -m|-c ...``, as
        bubblewrap would run it)."""
        read, write = os.pipe()
        request = {
            "argv": argv,
            "env": env,
            "uid": uid,
            "mounts": [asdict(m) for m in mounts],
        }
        try:
            with self.lock:
                wire.send(self.sock, request, [write])
                reply = self.replies.get(timeout=60)
                if reply is None:
                    raise OSError("it ended")
                message, fds = reply
                stage = Stage(message["started"], fds[0], os.fdopen(read, "rb"))
            with self.stages_lock:
                code = self.ended_early.pop(stage.pid, None)
                if code is None:
                    self.stages[stage.pid] = stage
            if code is not None:
                stage.end(code)
        except (OSError, queue.Empty) as exc:
            os.close(read)
            raise WarmFailed(f"the warm parent stopped answering ({exc})") from None
        finally:
            os.close(write)
        return stage

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        self.process.kill()
        self.process.wait()
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)


_parents: dict[tuple, Parent] = {}
_parents_lock = threading.Lock()


def parent_for(env: dict[str, str]) -> Parent:
    """The warm parent for this exact stage environment (TensorFlow and Keras read it at
    import), started on first use and kept for the batch."""
    key = tuple(sorted(env.items()))
    with _parents_lock:
        found = _parents.get(key)
        if found is None or found.process.poll() is not None:
            found = _parents[key] = Parent(env)
        return found


def close_all() -> None:
    with _parents_lock:
        for parent in _parents.values():
            parent.close()
        _parents.clear()
