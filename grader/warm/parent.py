"""The warm parent: imports NumPy, TensorFlow, Keras and the stages' code once, then forks
each stage the grader asks for (``python -s -P -m grader.warm.parent SOCKET_FD BASE``).

It runs no TensorFlow op and builds no Keras object (a forked child of a process that
did would hang or inherit state), holds no data, and is never reachable from a stage:
it is not dumpable, and each stage confines itself (``confine.enter``) before it runs.
Its environment is the stages' environment exactly, as TensorFlow and Keras read it at
import. Messages are ``wire`` packets; a request carries the stage's output
pipe, and the reply carries a pidfd of the stage, so the grader can end it safely.
"""

from __future__ import annotations

import os
import runpy
import select
import signal
import socket
import sys

from grader.sandbox import Mount
from grader.warm import confine, wire


def _warm_up() -> None:
    """Everything a stage imports that costs time, and nothing that runs an op."""
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401

    from grader.inside import student, trainer  # noqa: F401


def _stage(request: dict, output_fd: int, sock: socket.socket, base: str) -> None:
    """In the forked child: confine, then run the stage as ``python -m grader.inside``."""
    sock.close()
    os.setsid()  # the grader ends this process group
    mounts = [Mount(**m) for m in request["mounts"]]
    confine.enter(request["uid"], request["env"], mounts, base, output_fd)
    sys.argv = ["grader.inside", *request["argv"]]
    try:
        runpy.run_module("grader.inside", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    os._exit(0)


def _spawn(request: dict, fds: list[int], sock: socket.socket, base: str) -> None:
    output_fd = fds[0]
    pid = os.fork()
    if pid == 0:
        try:
            _stage(request, output_fd, sock, base)
        finally:
            os._exit(125)
    os.close(output_fd)
    pidfd = os.pidfd_open(pid)
    wire.send(sock, {"started": pid}, [pidfd])
    os.close(pidfd)


def _reap(sock: socket.socket) -> None:
    """Report every stage that ended: its pid and code as the grader's Popen would."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        wire.send(sock, {"ended": pid, "code": os.waitstatus_to_exitcode(status)})


def serve(sock: socket.socket, base: str) -> None:
    """Fork a stage per request until the grader closes the socket."""
    while True:
        ready, _, _ = select.select([sock], [], [], 0.02)
        _reap(sock)
        if not ready:
            continue
        request, fds = wire.receive(sock)
        if request is None:
            return
        _spawn(request, fds, sock, base)


def main() -> None:
    confine.prctl_self(dumpable=False, die_with_parent=True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader ends it, not a Ctrl-C
    sock = socket.socket(fileno=int(sys.argv[1]))
    _warm_up()
    wire.send(sock, {"ready": os.getpid(), "threads": len(os.listdir("/proc/self/task"))})
    serve(sock, sys.argv[2])


if __name__ == "__main__":
    main()
