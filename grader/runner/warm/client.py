"""The grader's side of the warm path (trusted side): a warm parent per stage
environment, asked for each stage; the handle it gives back is watched and ended by
``sandbox.Confined`` as a bubblewrap process is. A parent outlives the command that
started it (``GRADER_WARM_IDLE_S`` seconds idle, 300 by default; 0 ends it with the last
batch), so the next command on this machine starts warm."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import asdict
from pathlib import Path

import grader
from grader.runner.warm import wire

READY_TIMEOUT_S = 180  # importing TensorFlow on a busy machine
HELLO_TIMEOUT_S = 30  # a running parent greets a grader at once; a busy machine aside
IDLE_S = 300.0  # how long a parent waits for the next command, unless GRADER_WARM_IDLE_S


class WarmFailed(RuntimeError):
    """The warm parent could not start, or stopped answering."""


class Stage:
    """A stage the warm parent forked, with the part of ``subprocess.Popen`` that
    ``sandbox.Confined`` uses. Its exit status comes from the parent; it is ended through
    a pidfd, never through a pid that may have been reused."""

    def __init__(self, pid: int, pidfd: int, stdout):
        self.pid, self.pidfd, self.stdout = pid, pidfd, stdout
        self.returncode: int | None = None
        self.lost: str | None = None  # why the sandbox lost it, when it did (not its code)
        self._ended = threading.Event()

    def end(self, code: int, lost: str | None = None) -> None:
        self.returncode, self.lost = code, lost
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
    """A connection to a warm parent, and the stages it forked for this grader."""

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with wire.address(path) as name:
                self.sock.connect(name)
            if wire.peer_uid(self.sock) != os.geteuid():
                raise OSError(f"{path} is not served by this user")
            self.sock.settimeout(HELLO_TIMEOUT_S)
            self.ready, _ = wire.receive(self.sock)
            self.sock.settimeout(None)
        except (OSError, ValueError) as exc:
            self.sock.close()
            raise WarmFailed(f"no warm parent answers at {path} ({exc})") from None
        if not self.ready or "ready" not in self.ready:  # it was ending as we connected
            self.sock.close()
            raise WarmFailed(f"the warm parent at {path} was ending")
        self.pid: int = self.ready["ready"]
        self.lost = False
        self.replies: queue.Queue = queue.Queue()
        self.stages: dict[int, Stage] = {}
        self.ended_early: dict[int, tuple] = {}  # ended before its request had its reply
        self.lock = threading.Lock()  # one request and its reply at a time
        self.stages_lock = threading.Lock()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        """Route the parent's messages: replies to requests, and stages that ended."""
        while True:
            try:
                message, fds = wire.receive(self.sock)
            except OSError:
                message, fds = None, []
            if message is None:
                self.lost = True
                for stage in list(self.stages.values()):  # they died with it
                    stage.end(-signal.SIGKILL, "its warm parent ended while it ran")
                self.replies.put(None)
                return
            if "ended" in message:
                with self.stages_lock:
                    stage = self.stages.pop(message["ended"], None)
                    refused = "the kernel would not confine it" if message.get("refused") else None
                    ended = message["code"], refused
                    if stage is None:
                        self.ended_early[message["ended"]] = ended
                if stage is not None:
                    stage.end(*ended)
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
                if "started" not in message:
                    raise OSError(message.get("error", "no stage"))
                stage = Stage(message["started"], fds[0], os.fdopen(read, "rb"))
            with self.stages_lock:
                ended = self.ended_early.pop(stage.pid, None)
                if ended is None:
                    self.stages[stage.pid] = stage
            if ended is not None:
                stage.end(*ended)
        except (OSError, queue.Empty) as exc:
            os.close(read)
            raise WarmFailed(f"the warm parent started no stage ({exc})") from None
        finally:
            os.close(write)
        return stage

    def close(self) -> None:
        """This grader is done: the parent ends any stage of its still running, and goes on
        serving others until it has been idle for its time. (Shut down first: a close
        alone would wait for the thread that reads it.)"""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _folder(root: Path | None = None) -> Path:
    """Where this user's warm parents listen: a folder only this user can enter (stages
    never see it: their root has neither /tmp nor /run of the machine)."""
    root = root or Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")
    folder = root / f"grader-warm-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    found = folder.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid() or found.st_mode & 0o077:
        raise WarmFailed(f"{folder} is not a folder of this user's alone: remove it")
    return folder


@functools.cache
def _installed() -> bytes:
    """What a parent was started from: this Python, its packages (the folder changes when
    one is installed or removed) and the grader's own code, byte for byte."""
    packages = Path(sysconfig.get_paths()["purelib"])
    digest = hashlib.sha256(f"{sys.executable}\0{packages.stat().st_mtime_ns}".encode())
    for path in code_files():
        digest.update(path.read_bytes())
    return digest.digest()


def code_files() -> list[Path]:
    """Every module of the grader package: a stage runs the parent's copy of
    grader.inside, so a change anywhere in it must start a new parent."""
    return sorted(Path(grader.__file__).parent.rglob("*.py"))


def _name(env: dict[str, str], idle_s: float) -> str:
    """One parent per stage environment (TensorFlow and Keras read it at import), Python,
    packages, grader code and idle time."""
    digest = hashlib.sha256(_installed())
    digest.update(json.dumps([sorted(env.items()), idle_s]).encode())
    return digest.hexdigest()[:24]


def _start(env: dict[str, str], path: Path, idle_s: float) -> subprocess.Popen:
    """A new parent, in a session of its own: it outlives this command."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a parent that died without removing it
    with open(path.with_suffix(".log"), "wb") as log:  # read only if it fails to start
        return subprocess.Popen(
            [sys.executable, "-s", "-P", "-m", "grader.runner.warm.parent", str(path), str(idle_s)],
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


def _started(process: subprocess.Popen, path: Path) -> Parent:
    """The new parent, once its socket appears (after its imports)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            why = path.with_suffix(".log").read_text(errors="replace").strip()[-400:]
            raise WarmFailed(f"the warm parent did not start: {why or 'no socket in time'}")
        time.sleep(0.02)
    return Parent(path)


def idle_seconds() -> float:
    """How long a parent waits for the next command (``GRADER_WARM_IDLE_S``)."""
    given = os.environ.get("GRADER_WARM_IDLE_S", "")
    try:
        seconds = float(given) if given else IDLE_S
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise WarmFailed(f"GRADER_WARM_IDLE_S={given!r} is not a number of seconds (0 or more)")
    return seconds


def connect(env: dict[str, str], idle_s: float | None = None) -> Parent:
    """The warm parent for ``env``: the one already running, or a new one. One grader at
    a time starts it; the others wait for it, and do not import TensorFlow themselves."""
    idle_s = idle_seconds() if idle_s is None else idle_s
    folder = _folder()
    path = folder / f"{_name(env, idle_s)}.sock"
    with open(path.with_suffix(".lock"), "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(WarmFailed):
            return Parent(path)
        return _started(_start(env, path, idle_s), path)


_parents: dict[tuple, Parent] = {}
_parents_lock = threading.Lock()


def parent_for(env: dict[str, str]) -> Parent:
    """This grader's connection to the warm parent for this exact stage environment, made
    on first use and kept for the batch."""
    key = tuple(sorted(env.items()))
    with _parents_lock:
        found = _parents.get(key)
        if found is None or found.lost:
            found = _parents[key] = connect(env)
        return found


def close_all() -> None:
    """This grader's batch is done: its connections close (its parents stay warm)."""
    with _parents_lock:
        for parent in _parents.values():
            parent.close()
        _parents.clear()


def stop_all(root: Path | None = None) -> None:
    """Ask every warm parent of this user (under ``root``, else where graders look) to end
    once its graders are done (the test suite, at its end)."""
    with contextlib.suppress(WarmFailed):
        for path in _folder(root).glob("*.sock"):
            with contextlib.suppress(WarmFailed, OSError):
                parent = Parent(path)
                wire.send(parent.sock, {"stop": True})
                parent.close()
