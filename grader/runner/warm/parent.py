"""The warm parent: imports NumPy, TensorFlow, Keras and the stages' code once, then forks
each stage a grader asks for (``python -s -P -m grader.runner.warm.parent SOCKET_PATH IDLE_S``).
It outlives one command: the graders of its user that need the same stage environment
connect to its socket, and it ends after ``IDLE_S`` seconds with none.

It runs no TensorFlow op and builds no Keras object (a forked child of a process that
did would hang or inherit state), holds no data, and is never reachable from a stage:
it is not dumpable, and each stage confines itself (``confine.enter``) before it runs.
Its environment is the stages' environment exactly, as TensorFlow and Keras read it at
import. Messages are ``wire`` packets; a request carries the stage's output
pipe, and the reply carries a pidfd of the stage, so the grader can end it safely. A
grader's stages end when its connection does.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import runpy
import select
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path

from grader.runner.stage_root import Mount
from grader.runner.warm import confine, wire

# Everything a stage imports that costs time, and nothing that runs an op or builds a
# Keras object (a fork of a process that did would hang or inherit its state).
WARM_UP = ("numpy", "tensorflow", "keras", "grader.inside.student", "grader.inside.trainer")
PYTHON_IGNORES = {signal.SIGPIPE, signal.SIGXFSZ}  # what Python ignores at its start-up


def _run_python(argv: list[str]) -> None:
    """What ``python -s -P`` would do with ``argv``: ``-m MODULE ARGS`` or ``-c CODE ARGS``;
    the warm path runs the very command bubblewrap would."""
    if argv[:3] != [sys.executable, "-s", "-P"] or len(argv) < 5 or argv[3] not in ("-m", "-c"):
        raise SystemExit(f"grader: the warm parent runs only {sys.executable} -s -P -m|-c")
    option, target, *rest = argv[3:]
    if option == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})


def _fresh_signals() -> None:
    """Signals as a Python started with every signal at its default has them (bubblewrap's
    stages start so): what the parent inherited ignored is reset, then Python's own."""
    for number in signal.valid_signals():
        if number not in PYTHON_IGNORES and signal.getsignal(number) is signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _stage(
    request: dict, output_fd: int, refused_fd: int, sockets: list[socket.socket], base: str
) -> None:
    """In the forked child: confine, then run the stage's command line."""
    for sock in sockets:  # the listening socket and every grader's connection
        sock.close()
    os.setsid()  # the grader ends this process group
    _fresh_signals()
    mounts = [Mount(**m) for m in request["mounts"]]
    confine.enter(request["uid"], request["env"], mounts, base, output_fd, refused_fd)
    try:
        _run_python(request["argv"])
        code = None
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # as Python itself ends: the traceback, then 1
        traceback.print_exc()
        code = 1
    if isinstance(code, str):
        print(code, file=sys.stderr)
    sys.stdout.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


class Server:
    """The graders connected to this parent and the stages each of them asked for. One
    thread only: a fork of a process with other threads of its own could inherit a held
    lock."""

    def __init__(self, path: str, base: str):
        self.path, self.base = path, base
        self.listener = _listen(path)
        self.inode = os.stat(path).st_ino
        self.graders: list[socket.socket] = []
        self.owners: dict[int, socket.socket] = {}  # each running stage's grader
        self.refusals: dict[int, int] = {}  # each running stage's pipe that says it was refused
        self.stopping = False

    def serve(self, idle_s: float) -> None:
        """Fork a stage per request; end after ``idle_s`` with no grader and no stage, or
        once a grader asked it to stop and none is left."""
        last = time.monotonic()
        while True:
            listening = [] if self.stopping else [self.listener]
            ready, _, _ = select.select([*listening, *self.graders], [], [], 0.02)
            self._reap()
            for sock in ready:
                try:
                    if sock is self.listener:
                        self._accept()
                    else:
                        self._request(sock)
                except Exception:  # one grader's trouble (gone, a malformed request): not all's
                    if sock is not self.listener:
                        self._drop(sock)
            if self.graders or self.owners:
                last = time.monotonic()
            elif self.stopping or time.monotonic() - last >= idle_s:
                return

    def stop(self) -> None:
        """No new grader: the socket goes at once (the next command starts a new parent);
        the graders connected finish."""
        self.stopping = True
        with contextlib.suppress(OSError):  # unless a newer parent's took its place
            if os.stat(self.path).st_ino == self.inode:
                os.unlink(self.path)
        self.listener.close()  # one that connected meanwhile finds it ending

    def _accept(self) -> None:
        """A grader of this parent's own user; anyone else, or one gone already, is closed."""
        sock, _ = self.listener.accept()
        try:
            if wire.peer_uid(sock) != os.getuid():
                raise PermissionError("another user")
            wire.send(sock, {"ready": os.getpid(), "threads": len(os.listdir("/proc/self/task"))})
        except OSError:
            sock.close()
            return
        self.graders.append(sock)

    def _request(self, sock: socket.socket) -> None:
        try:
            request, fds = wire.receive(sock)
        except (OSError, ValueError):
            request, fds = None, []
        if request is None:  # that grader ended or closed: its stages end with it
            self._drop(sock)
        elif request.get("stop"):
            self.stop()
        else:
            self._spawn(request, fds, sock)

    def _spawn(self, request: dict, fds: list[int], sock: socket.socket) -> None:
        output_fd = fds[0]
        said, refused_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:  # the machine's process table: that stage, not this parent
            for fd in (output_fd, said, refused_fd):
                os.close(fd)
            wire.send(sock, {"error": f"fork: {exc}"})
            return
        if pid == 0:
            try:
                os.close(said)
                _stage(request, output_fd, refused_fd, [self.listener, *self.graders], self.base)
            finally:
                confine.refused(refused_fd)
        os.close(output_fd)
        os.close(refused_fd)
        os.set_blocking(said, False)
        self.owners[pid] = sock
        self.refusals[pid] = said
        pidfd = os.pidfd_open(pid)
        try:
            wire.send(sock, {"started": pid}, [pidfd])
        except OSError:  # its grader is gone already
            self._drop(sock)
        finally:
            os.close(pidfd)

    def _drop(self, sock: socket.socket) -> None:
        if sock in self.graders:
            self.graders.remove(sock)
        sock.close()
        for pid, owner in self.owners.items():  # not reaped yet: the pid is still theirs
            if owner is sock:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _reap(self) -> None:
        """Report every stage that ended to its grader: its pid and code as Popen would."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            owner = self.owners.pop(pid, None)
            said = self.refusals.pop(pid)
            try:  # its writers have all ended: the stage and the processes above it
                refused = bool(os.read(said, 64))
            except BlockingIOError:
                refused = False
            os.close(said)
            code = os.waitstatus_to_exitcode(status)
            if owner in self.graders:
                with contextlib.suppress(OSError):
                    wire.send(owner, {"ended": pid, "code": code, "refused": refused})


def _listen(path: str) -> socket.socket:
    """The socket graders connect to, at ``path`` only once the imports are done: a grader
    that connects finds a warm parent."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    staged = f"{path}.{os.getpid()}"
    with wire.address(Path(staged)) as name:
        listener.bind(name)
    listener.listen()
    os.replace(staged, path)
    return listener


def main() -> None:
    confine.not_dumpable()  # it ends idle, or when asked to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # its graders end it, not a Ctrl-C
    path, idle_s = sys.argv[1], float(sys.argv[2])
    for name in WARM_UP:
        importlib.import_module(name)
    # what the imports made is never garbage: a stage's collections skip it instead of
    # writing to every object's header, which copies the parent's heap page by page
    gc.freeze()
    base = tempfile.mkdtemp(prefix="grader-warm-")  # where each stage builds its root
    os.chmod(base, 0o755)
    os.chdir(base)
    server = Server(path, base)
    try:
        server.serve(idle_s)
    finally:
        server.stop()
        os.chdir("/")
        os.rmdir(base)


if __name__ == "__main__":
    main()
