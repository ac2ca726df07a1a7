"""A forked stage confining itself (warm path): bubblewrap cannot wrap a process that
already runs, so a child of the warm parent enters the same sandbox on its own.

``enter`` runs in the freshly forked child and returns only in a process that is PID 1's
child in new mount, PID, network, IPC, UTS and cgroup namespaces, under the stage's
uid, in a root built from ``sandbox.mounts`` (the steps bubblewrap's command line is
built from), read-only but for its tmpfs and writable binds, with no capabilities,
``no_new_privs``, no descriptors but 0-2 and its own session. As bubblewrap does, an
unprivileged grader adds a user namespace (nested ones refused); a root grader builds
the root as root and drops to the stage's uid. Everything else exits. The recipe and its
measurements are in ``../shared/docs/research/warm-stages.md``.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import platform
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from grader.runner.stage_root import WORK, Mount

_libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = (
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
)
NAMESPACES = (
    CLONE_NEWUSER
    | CLONE_NEWNS
    | CLONE_NEWPID
    | CLONE_NEWNET
    | CLONE_NEWIPC
    | CLONE_NEWUTS
    | CLONE_NEWCGROUP
)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME = 1 << 18, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}
_LOCKED = (  # statvfs flag -> mount flag a remount inside a user namespace must keep
    (os.ST_NOSUID, MS_NOSUID),
    (os.ST_NODEV, MS_NODEV),
    (os.ST_NOEXEC, MS_NOEXEC),
    (os.ST_NOATIME, MS_NOATIME),
    (os.ST_NODIRATIME, MS_NODIRATIME),
    (os.ST_RELATIME, MS_RELATIME),
)
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "ptmx": "pts/ptmx",
    "core": "/proc/kcore",
}
HOSTNAME = b"sandbox"
REFUSED = 125  # the exit code of a stage the kernel would not confine


class Refused(OSError):
    """The kernel refused a step: the warm path cannot confine a stage here."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise Refused(err, f"{what}: {os.strerror(err)}")


def _syscall(table: dict[str, int], *args) -> int:
    return _libc.syscall(ctypes.c_long(table[platform.machine()]), *args)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data=None):
    _check(
        _libc.mount(
            source and source.encode(),
            target.encode(),
            fstype and fstype.encode(),
            ctypes.c_ulong(flags),
            data and data.encode(),
        ),
        f"mount {source} on {target}",
    )


def supported() -> str | None:
    """None when this machine may run warm stages, else why not; what needs a real trial
    is ``trial``'s."""
    if platform.machine() not in SYS_PIVOT_ROOT:
        return f"no system call table for {platform.machine()}"
    if not Path("/proc/self/ns/user").exists():
        return "the kernel has no user namespaces"
    return None


def trial(uid: int | None, box_mounts: list[Mount]) -> str | None:
    """None when a child forked here can confine itself as a stage (with the root
    ``box_mounts`` build) and import the grader (a fresh Python, so the grader's own
    process never forks with its threads)."""
    probe = (
        "import sys; from grader.runner.warm.confine import probe; "
        "probe(None if sys.argv[1] == '-' else int(sys.argv[1]), sys.argv[2])"
    )
    steps = json.dumps([asdict(m) for m in box_mounts])
    try:
        done = subprocess.run(
            [sys.executable, "-s", "-P", "-c", probe, "-" if uid is None else str(uid), steps],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the trial could not run ({exc})"
    if done.returncode != 0:
        return (done.stdout + done.stderr).strip()[-300:] or f"exit {done.returncode}"
    return None


def probe(uid: int | None, steps: str) -> None:
    """The trial's process: one stage confined as a real one, importing the grader."""
    base = tempfile.mkdtemp(prefix="grader-warm-trial-")
    os.chmod(base, 0o755)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        enter(uid, {"PATH": "/usr/bin:/bin"}, [Mount(**m) for m in json.loads(steps)], base, write)
        import grader  # noqa: F401

        os._exit(0 if os.getuid() == (uid if uid is not None else os.getuid()) else 1)
    os.close(write)
    said = os.read(read, 4096).decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    os.rmdir(base)
    sys.stdout.write(said)
    sys.exit(os.waitstatus_to_exitcode(status))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _unshare(uid: int | None) -> None:
    """New namespaces, as bubblewrap makes them. As root (``uid`` given), no user namespace:
    the root is built as root and the stage drops to ``uid`` afterwards (bubblewrap's
    command line with setpriv). Otherwise a user namespace mapping the user to itself, so
    an unprivileged user can build the rest (bubblewrap's --unshare-user)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if uid is not None:
        _check(_libc.unshare(NAMESPACES & ~CLONE_NEWUSER), "unshare")
        return
    user, group = os.getuid(), os.getgid()
    _check(_libc.unshare(NAMESPACES), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{user} {user} 1")
    _write("/proc/self/gid_map", f"{group} {group} 1")


def _remount_read_only(path: str) -> None:
    """A bind mount read-only, keeping the flags the kernel locked on it."""
    kept = os.statvfs(path).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY
    flags |= sum(ms for st, ms in _LOCKED if kept & st)
    _mount(None, path, None, flags)


def _submounts(path: str) -> list[str]:
    """Mount points at or below ``path`` in this namespace (a recursive bind brings them)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == path or point.startswith(path.rstrip("/") + "/"):
                found.append(point)
    return found


def _bind(m: Mount, target: str) -> None:
    source = Path(m.source)
    if source.is_dir():
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        Path(target).touch()
    _mount(m.source, target, None, MS_BIND | MS_REC)
    if m.kind == "ro-bind":
        for point in _submounts(target):
            _remount_read_only(point)


def _dev(target: str) -> None:
    """A minimal /dev as bubblewrap makes it: the harmless devices bound from the host."""
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755")
    for name in DEVICES:
        node = f"{target}/{name}"
        Path(node).touch()
        _mount(f"/dev/{name}", node, None, MS_BIND)
    for name, to in DEV_LINKS.items():
        os.symlink(to, f"{target}/{name}")
    for name in ("shm", "pts"):
        os.mkdir(f"{target}/{name}")


def _apply(m: Mount, root: str) -> None:
    target = root + m.dest
    if m.kind in ("ro-bind", "bind"):
        _bind(m, target)
    elif m.kind == "symlink":
        os.symlink(m.source, target)
    elif m.kind == "dir":  # as bubblewrap's --dir: the mode applies to a new folder only
        if not os.path.isdir(target):
            os.makedirs(target)
            os.chmod(target, m.perms)
    elif m.kind == "tmpfs":
        os.makedirs(target, exist_ok=True)
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={m.perms:o},size={m.size}")
    elif m.kind == "proc":
        os.makedirs(target, exist_ok=True)
        _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif m.kind == "dev":
        os.makedirs(target, exist_ok=True)
        _dev(target)
    else:
        raise ValueError(f"unknown mount step {m.kind}")


def _new_root(box_mounts: list[Mount], base: str) -> None:
    """Build the root on a tmpfs at ``base``, switch to it, drop the old one, read-only."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for m in box_mounts:
        _apply(m, base)
    os.mkdir(f"{base}/.old")
    os.chdir(base)
    _check(_syscall(SYS_PIVOT_ROOT, b".", b".old"), "pivot_root")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "umount the old root")
    os.rmdir("/.old")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def _loopback_up() -> None:
    """The network namespace's own loopback, up (bubblewrap does the same)."""
    SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING)
        fcntl.ioctl(s, SIOCSIFFLAGS, request)


def _no_nested_user_namespaces() -> None:
    """The stage's user namespace may hold no more: it cannot regain capabilities in
    one of its own (bubblewrap's --disable-userns, which it uses in the same case)."""
    _write("/proc/sys/user/max_user_namespaces", "0")


def _powerless(uid: int | None) -> None:
    """No capabilities now or ever: the bounding and ambient sets emptied (while the
    process may still do so), the stage's own uid, every set cleared, no_new_privs."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this task
    data = (ctypes.c_uint32 * 6)()
    _check(_syscall(SYS_CAPSET, header, data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _wait_for(child: int) -> int:
    """As PID 1: reap every orphan until ``child`` ends; its status, as bubblewrap
    reports it (an exit code, or 128 + the signal that ended it)."""
    while True:
        pid, status = os.wait()
        if pid == child:
            return (
                os.waitstatus_to_exitcode(status)
                if os.WIFEXITED(status)
                else (128 + os.WTERMSIG(status))
            )


def _only_in_child(pid: int) -> None:
    """After a fork: the parent waits for the child and exits with its code; the child
    goes on."""
    if pid:
        os._exit(_wait_for(pid))


def refused(refused_fd: int | None) -> None:
    """End a stage that could not be confined, saying so out of its code's reach."""
    if refused_fd is not None:
        with contextlib.suppress(OSError):
            os.write(refused_fd, b"refused")
    os._exit(REFUSED)


def not_dumpable() -> None:
    """The warm parent: no process of another uid may read its memory or trace it."""
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "not dumpable")


def enter(
    uid: int | None,
    env: dict[str, str],
    box_mounts: list[Mount],
    base: str,
    output_fd: int,
    refused_fd: int | None = None,
) -> None:
    """Confine the calling process (a fresh child of the warm parent): ``uid`` (None: keep
    the grader's), exactly ``env``, a root from ``box_mounts`` built on ``base``. Returns in
    the stage process; the processes above it wait and exit with its code. A refusal is
    also written to ``refused_fd``, which the stage never holds: its code cannot forge one."""
    try:
        _unshare(uid)
        _only_in_child(os.fork())  # PID 1 of the new namespaces from here
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _new_root(box_mounts, base)
        _libc.sethostname(HOSTNAME, len(HOSTNAME))
        _loopback_up()
        if uid is None:
            _no_nested_user_namespaces()
        _only_in_child(os.fork())  # the stage from here; PID 1 reaps orphans
        os.setsid()
        _powerless(uid)
    except OSError as exc:
        os.write(output_fd, f"grader: warm sandbox refused: {exc}\n".encode())
        refused(refused_fd)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.chdir(WORK)
    os.environ.clear()
    os.environ.update(env, PWD=WORK)  # bubblewrap's --chdir sets PWD too
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
