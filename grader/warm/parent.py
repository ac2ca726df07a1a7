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

import importlib
import os
import runpy
import select
import signal
import socket
import sys
import traceback

from grader.sandbox import Mount
from grader.warm import confine, wire

# Everything a stage imports that costs time, and nothing that runs an op or builds a
# Keras object (a fork of a process that did would hang or inherit its state).
WARM_UP = ("numpy", "tensorflow", "keras", "grader.inside.student", "grader.inside.trainer")


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


def _stage(request: dict, output_fd: int, sock: socket.socket, base: str) -> None:
    """In the forked child: confine, then run the stage's command line."""
    sock.close()
    os.setsid()  # the grader ends this process group
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as a fresh Python has it
    mounts = [Mount(**m) for m in request["mounts"]]
    confine.enter(request["uid"], request["env"], mounts, base, output_fd)
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


def _spawn(request: dict, fds: list[int], sock: socket.socket, base: str) -> None:
    output_fd = fds[0]
    pid = os.fork()
    if pid == 0:
        try:
            _stage(request, output_fd, sock, base)
        finally:
            os._exit(confine.REFUSED)
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
    confine.not_dumpable()  # it ends when the grader closes the socket, dead or not
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader ends it, not a Ctrl-C
    sock = socket.socket(fileno=int(sys.argv[1]))
    for name in WARM_UP:
        importlib.import_module(name)
    wire.send(sock, {"ready": os.getpid(), "threads": len(os.listdir("/proc/self/task"))})
    serve(sock, sys.argv[2])


if __name__ == "__main__":
    main()
