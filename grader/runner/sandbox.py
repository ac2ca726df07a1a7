"""Confining a submission's processes, watching their limits, and ending them (trusted side).

Two levels. ``bubblewrap``: no network, a private filesystem holding only the Python
environment, the data and the run's own folders, a new PID namespace (the whole tree
dies with it) and, when the grader is root, a non-root uid. ``process``: the fallback
where bubblewrap cannot run (e.g. Gradescope's container); rlimits, a process-tree
watchdog and, when the grader is root, the same non-root uids. Both keep at most a head
and a tail of what the submission prints.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from grader.errors import UsageError
from grader.runner import machine
from grader.runner.stage_root import WORK, Mount
from grader.spec_types import Limits

if TYPE_CHECKING:
    import numpy as np

WARM, BUBBLEWRAP, PROCESS = "warm", "bubblewrap", "process"
NAMESPACED = (WARM, BUBBLEWRAP)  # the full sandbox, either way it is entered
MODES = ("auto", "strict", WARM, BUBBLEWRAP, PROCESS)
PROBE_UID = 60999
KERAS_MODELS = f"{WORK}/.keras/models"  # $KERAS_HOME/models: Keras's application weights
POLL_S = 0.25  # a look walks every process on the machine: at 0.1 s, a third of our CPU
CODE_TIME = "code_time"  # the breach of the code-phase limit (the student stage's code)
WATCHDOG_MARGIN_MB = 512  # over the heap limit: the rlimit should fire first, cleanly
FALLBACK_GAPS = (
    "network: the submission can reach the network and this machine's services",
    "filesystem: it can read every file the grader's user can (test data on disk, "
    "other submissions, results) and write where that user can",
    "processes: it is tracked through its process tree, not a PID namespace",
)


@dataclass(frozen=True)
class Isolation:
    level: str
    missing: tuple[str, ...]
    drop_uid: bool  # as root: each stage runs under a non-root uid of its own
    requested: str = "auto"  # the --sandbox mode it answers (a cluster's workers detect it)

    def to_json(self) -> dict:
        return {
            "level": self.level,
            "missing": list(self.missing),
            "user": "own non-root uid" if self.drop_uid else "the grader's user",
        }

    @property
    def namespaced(self) -> bool:
        return self.level in NAMESPACED

    def describe(self) -> str:
        if self.level == WARM:
            return (
                "warm (forked from a parent that imported TensorFlow once; the same "
                "namespaces, root and limits as bubblewrap)"
            )
        if self.level == BUBBLEWRAP:
            return "bubblewrap (no network, private filesystem, PID namespace, non-root)"
        return "process only: NOT ISOLATED (see the warning above)"


def _bwrap_works(root: bool) -> str | None:
    """None when a sandbox built like the real ones starts Python here, else why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    trial = Isolation(BUBBLEWRAP, (), root)
    box = Box(
        [sys.executable, "-I", "-c", "import grader"],
        {},
        {"PATH": "/usr/bin"},
        Limits(),
        PROBE_UID if root else None,
    )
    try:
        done = subprocess.run(command(trial, box), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})"
    if done.returncode != 0:
        return f"bubblewrap could not start: {done.stderr.strip()[-300:]}"
    return None


def _closed_folder(path: Path) -> Path | None:
    """The outermost folder on the way to ``path``, or to where its links lead, that other
    users cannot enter."""
    for way in (path.absolute(), path.resolve()):
        for folder in reversed(way.parents):
            if not folder.stat().st_mode & 0o001:
                return folder
    return None


def uid_blocked() -> str | None:
    """As root without bubblewrap: None when a non-root uid can run this Python, import the
    grader and reach the scratch folder, as each stage must; else why not (say, a Python
    or a project under root's 0700 home)."""
    probe = (
        "import os, sys, grader; "
        "sys.exit(None if os.access(sys.argv[1], os.R_OK | os.X_OK) else sys.argv[1] + "
        "': not readable')"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", probe, tempfile.gettempdir()],
            user=PROBE_UID,
            group=PROBE_UID,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return f"{sys.executable} did not start within a minute"
    except OSError as exc:
        closed = _closed_folder(Path(sys.executable))
        return f"{sys.executable}: {exc.strerror}" + (
            f"; {closed} is closed to others" if closed else ""
        )
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "it failed"
    return None


def _warm_works(root: bool) -> str | None:
    """None when a forked child can confine itself here as a warm stage does, else why."""
    from grader.runner.warm import confine

    uid = PROBE_UID if root else None
    box = Box([], {}, {"PATH": "/usr/bin:/bin"}, Limits(), uid)
    return confine.supported() or confine.trial(uid, mounts(box))


def detect(mode: str) -> Isolation:
    """The strongest isolation available: warm stages, else bubblewrap, else the process
    fallback with its gaps said; ``strict`` refuses anything less than full, ``warm`` and
    ``bubblewrap`` anything but themselves."""
    if mode not in MODES:
        raise UsageError(f"--sandbox must be one of {', '.join(MODES)}")
    root = os.geteuid() == 0
    gaps: tuple[str, ...] = ()
    for level, works in ((WARM, _warm_works), (BUBBLEWRAP, _bwrap_works)):
        if mode in ("auto", "strict", level):
            why = works(root)
            if why is None:
                return Isolation(level, (), root, mode)
            if mode == level:
                raise UsageError(f"--sandbox {level}: not available here: {why}")
            gaps += (f"{level}: {why}",)
    if mode == "strict":
        raise UsageError(f"--sandbox strict: full isolation is not available: {'; '.join(gaps)}")
    if mode == PROCESS:
        gaps = ("bubblewrap: not used (--sandbox process)",)
    blocked = uid_blocked() if root else None
    if blocked:
        gaps += (
            f"user: stages run as root: a non-root uid cannot run the grader ({blocked}); "
            "install its Python and project where other users can read them (not under a "
            "0700 folder such as /root)",
        )
    adopt_orphans()
    return Isolation(PROCESS, gaps + FALLBACK_GAPS, root and not blocked, mode)


def prepare(isolation: Isolation, threads: int) -> None:
    """Start the batch's warm parent now, in the background: its imports overlap the
    grader's own start (data, submissions, calibration) instead of delaying the first
    stage. A parent that fails to start fails again, with its reason, at that stage."""
    if isolation.level != WARM:
        return
    from grader.runner.warm import client

    def start() -> None:
        with contextlib.suppress(client.WarmFailed):
            client.parent_for(environment(isolation, Path(WORK), threads))

    threading.Thread(target=start, daemon=True).start()


def release() -> None:
    """The batch is done with its warm parents: they end any stage it left, and stay warm
    for the next command (``GRADER_WARM_IDLE_S``, 300 s by default; 0: they end now)."""
    from grader.runner.warm import client

    client.close_all()


_active: set[int] = set()  # roots of confined processes now running
_active_lock = threading.Lock()


def adopt_orphans() -> None:
    """Process level: become the child subreaper, so a daemon that double-forks and calls
    setsid is re-parented to the grader instead of escaping to init."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_strays() -> None:
    """Kill and reap every child of the grader that is not a running confined process."""
    strays = []
    with _active_lock:  # no confined process can start unregistered meanwhile
        for child in psutil.Process().children():
            if child.pid not in _active:
                with contextlib.suppress(psutil.Error):
                    for p in [child, *child.children(recursive=True)]:
                        p.kill()
                    strays.append(child)
    for child in strays:
        with contextlib.suppress(psutil.Error):
            child.wait(timeout=5)


def _namespaces(root: bool) -> list[str]:
    args = [
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
    ]
    if not root:  # an unprivileged user needs a user namespace to do the rest
        args += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    return args


def _system_binds() -> list[Mount]:
    """/usr and the loader's view of it, read-only; /etc only for what libraries read."""
    mounts = [Mount("ro-bind", "/usr", "/usr")]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            mounts.append(Mount("symlink", top, os.readlink(top)))
        elif os.path.isdir(top):
            mounts.append(Mount("ro-bind", top, top))
    for name in ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime"):
        if os.path.exists(name):
            mounts.append(Mount("ro-bind", name, name))
    return mounts


def _python_paths() -> list[Path]:
    """The Python installation, its environment and the grader package, read-only."""
    import grader

    paths = {
        Path(sys.base_prefix).resolve(),
        Path(sys.prefix).resolve(),
        Path(sys.executable).resolve().parents[1],
    }
    # Package folders outside the prefix (a venv that extends another through a .pth file);
    # only site-/dist-packages, never the working directory or the project on sys.path.
    paths |= {
        Path(p).resolve()
        for p in sys.path
        if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()
    }
    package = Path(grader.__file__).resolve().parent
    if not any(package.is_relative_to(p) for p in paths):
        paths.add(package)
    return sorted(p for p in paths if not any(p != q and p.is_relative_to(q) for q in paths))


def _parents(paths: list[str]) -> list[Mount]:
    """Traversable parent folders (bubblewrap would copy a host 0700 like /root); inside the
    work folder writable like it (Keras writes into $KERAS_HOME, beside its models folder)."""
    out: list[str] = []
    for p in paths:
        for parent in reversed(Path(p).parents[:-1]):
            if str(parent) not in out and str(parent) not in ("/usr",):
                out.append(str(parent))
    return [Mount("dir", d, perms=0o1777 if Path(d).is_relative_to(WORK) else 0o755) for d in out]


@dataclass(frozen=True)
class Box:
    """One confined process: what it runs, what it sees, under which limits and uid."""

    argv: list[str]
    binds: dict[str, tuple[Path, bool]]  # inside path -> (host path, writable)
    env: dict[str, str]
    limits: Limits
    uid: int | None = None


def path_inside(isolation: Isolation, inside: str, host: Path) -> str:
    """Where a bound folder appears to the confined process."""
    return inside if isolation.namespaced else str(host)


def environment(isolation: Isolation, home: Path, threads: int) -> dict[str, str]:
    """An allow-list: nothing from the grader's environment reaches the submission."""
    home_s = WORK if isolation.namespaced else str(home)
    tmp = "/tmp" if isolation.namespaced else str(home / ".tmp")
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home_s,
        "USER": "student",
        "LOGNAME": "student",
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
        "OMP_NUM_THREADS": str(threads),
        "TF_ENABLE_ONEDNN_OPTS": machine.onednn(),  # pinned and recorded: it picks kernels
        "JOBLIB_MULTIPROCESSING": "0",  # no /dev/shm semaphores here: joblib would complain
        "KERAS_HOME": f"{home_s}/.keras",
    }


def mounts(box: Box) -> list[Mount]:
    """The stage's root, in order: the private /tmp and home first, so that what is bound
    later shows on top of them; the Python environment may live under /tmp or /home (a
    fresh clone)."""
    python = [str(p) for p in _python_paths()]
    return [
        *_system_binds(),
        Mount("proc", "/proc"),
        Mount("dev", "/dev"),
        Mount("tmpfs", "/tmp", perms=0o1777, size=box.limits.tmp_mb * 2**20),
        # POSIX semaphores (multiprocessing's ThreadPool, in Keras's
        # image_dataset_from_directory) live here; bubblewrap's is root's only
        Mount("tmpfs", "/dev/shm", perms=0o1777, size=box.limits.tmp_mb * 2**20),
        Mount("dir", "/home"),
        Mount("tmpfs", WORK, perms=0o1777, size=box.limits.disk_mb * 2**20),
        *_parents(python + list(box.binds)),
        *(Mount("ro-bind", p, p) for p in python),
        *(
            Mount("bind" if writable else "ro-bind", inside, str(host))
            for inside, (host, writable) in box.binds.items()
        ),
    ]


def _bwrap_args(m: Mount) -> list[str]:
    if m.kind in ("ro-bind", "bind", "symlink"):
        return [f"--{m.kind}", m.source, m.dest]
    perms = ["--perms", f"{m.perms:04o}"] if m.kind in ("dir", "tmpfs") else []
    size = ["--size", str(m.size)] if m.kind == "tmpfs" else []
    return [*perms, *size, f"--{m.kind}", m.dest]


# A stage starts with every signal at its default, whatever the grader inherited (a shell
# script's background job ignores SIGINT and SIGQUIT); the warm path resets the same.
DEFAULT_SIGNALS = ["/usr/bin/env", "--default-signal"]


def command(isolation: Isolation, box: Box) -> list[str]:
    if isolation.level != BUBBLEWRAP:
        return [*DEFAULT_SIGNALS, *box.argv]
    args = [*DEFAULT_SIGNALS, "bwrap", *_namespaces(isolation.drop_uid)]
    for m in mounts(box):
        args += _bwrap_args(m)
    args += ["--remount-ro", "/", "--chdir", WORK, "--clearenv", "--hostname", "sandbox"]
    for key, value in box.env.items():
        args += ["--setenv", key, value]
    if box.uid is not None:
        args += [
            "/usr/bin/setpriv",
            "--reuid",
            str(box.uid),
            "--regid",
            str(box.uid),
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ]
    return args + box.argv


class Output:
    """Keeps the first and last ``keep`` bytes of a stream, and counts the rest."""

    def __init__(self, keep: int):
        self.keep = keep
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_bytes = 0
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.keep - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_bytes += len(chunk)
            while self.tail_bytes - len(self.tail[0]) >= self.keep:
                self.tail_bytes -= len(self.tail.popleft())

    def text(self) -> str:
        tail = b"".join(self.tail)[-self.keep :]
        cut = self.total - len(self.head) - len(tail)
        middle = f"\n[... {cut} bytes of output cut ...]\n" if cut else ""
        return self.head.decode("utf-8", "replace") + middle + tail.decode("utf-8", "replace")


@dataclass(frozen=True)
class Exit:
    returncode: int | None
    signal: str | None  # the signal that ended the confined process, if one did
    breach: str | None  # "timeout", CODE_TIME, "memory", "processes" or "disk": a watchdog fired
    wall_s: float
    peak_rss_mb: float
    peak_tasks: int = 0  # the most processes and threads its tree was seen to have
    lost: str | None = None  # why the sandbox lost the run (not its code), when it did


@dataclass(frozen=True)
class RunOutput:
    """What a run of a submission's stages left: how it ended, and what it wrote and printed
    (read back as plain data)."""

    exit: Exit  # of the stage that decided the outcome
    stage: str  # protocol.STUDENT or protocol.TRAINER
    outcome: dict | None  # None when that stage left nothing readable
    predictions: np.ndarray | None
    malformed: str | None  # why what it left could not be trusted
    output: str  # head and tail of what the submission printed
    running: dict | None = None  # where its code was when a limit stopped it
    worker: str | None = None  # the cluster worker that ran it (None: this machine)
    isolation: dict | None = None  # that worker's isolation, when it was one
    machine: dict = field(default_factory=machine.fingerprint)  # where the stages ran


class Confined:
    """A started confined process, its output reader and its watchdog state."""

    def __init__(
        self, isolation: Isolation, box: Box, cwd: Path, watched: dict[Path, int] | None = None
    ):
        self.isolation, self.box, self.watched = isolation, box, watched or {}
        self.output = Output(box.limits.output_kept_kb * 512)
        self.started = time.monotonic()
        if isolation.level == WARM:
            from grader.runner.warm import client

            parent = client.parent_for(box.env)
            self.popen = parent.spawn(box.argv, box.env, box.uid, mounts(box))
        else:
            self.popen = self._start(cwd)
        self.root = _process(self.popen.pid)
        self.seen: dict[int, psutil.Process] = {}
        self.peak = 0.0
        self.peak_tasks = 0
        self.breach: str | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _start(self, cwd: Path) -> subprocess.Popen:
        uid = self.box.uid
        switch = (  # bubblewrap switches inside (setpriv); the fallback switches here
            {"user": uid, "group": uid, "extra_groups": []}
            if self.isolation.level == PROCESS and uid is not None
            else {}
        )
        with _active_lock:  # started and registered at once (see kill_strays)
            popen = subprocess.Popen(
                command(self.isolation, self.box),
                cwd=cwd,
                env=self.box.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **switch,
            )
            _active.add(popen.pid)
        return popen

    def _read(self) -> None:
        for chunk in iter(lambda: self.popen.stdout.read1(65536), b""):
            self.output.add(chunk)

    def done(self) -> bool:
        return self.popen.poll() is not None

    def watch(self, deadline: float) -> str | None:
        """One look at the tree and the folders; the breached limit, if any."""
        tree = []
        if self.root is not None:
            tree.append(self.root)
            with contextlib.suppress(psutil.Error):
                tree += self.root.children(recursive=True)
        self.seen.update((p.pid, p) for p in tree)
        sizes: dict[psutil.Process, int] = {}
        threads = 0
        for p in self._measured(tree):
            with contextlib.suppress(psutil.Error):
                sizes[p] = p.memory_info().rss
                threads += p.num_threads()
        rss = sum(sizes.values())
        self.peak = max(self.peak, rss / 2**20)
        self.peak_tasks = max(self.peak_tasks, threads)
        limits = self.box.limits
        if threads > limits.processes + 64:  # the rlimit's backstop (root ignores it)
            self.breach = "processes"
        elif (
            rss / 2**20 > limits.memory_mb + WATCHDOG_MARGIN_MB
            and _pss_mb(sorted(sizes, key=sizes.__getitem__, reverse=True))
            > limits.memory_mb + WATCHDOG_MARGIN_MB
        ):
            self.breach = "memory"
        elif any(_folder_bytes(path) > cap for path, cap in self.watched.items()):
            self.breach = "disk"
        elif time.monotonic() > deadline:
            self.breach = "timeout"
        return self.breach

    def _measured(self, tree: list[psutil.Process]) -> list[psutil.Process]:
        """The processes whose memory and threads count. A warm stage's two ancestors (the
        fork that waits for its PID 1, and that PID 1) only wait, but as forks of the warm
        parent they map its TensorFlow: counted, they would add a third of a GB that the
        stage does not use (bubblewrap's own processes are a few MB). Found in ``tree``: a
        second walk of the machine's processes would double the look's cost."""
        if self.isolation.level != WARM or self.root is None:
            return tree
        root = self.root.pid
        return [p for p in tree if p.pid != root and _ppid(p) not in (root, None)]

    def stop(self) -> Exit:
        """Kill the whole tree (a PID namespace dies with its first process)."""
        if self.isolation.level == WARM:
            self.popen.kill()  # through its pidfd
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        for p in self.seen.values():
            with contextlib.suppress(psutil.Error):
                p.kill()
        code = self.popen.wait()
        with _active_lock:
            _active.discard(self.popen.pid)
        if self.isolation.level == PROCESS:
            kill_strays()
        self.reader.join(timeout=5)
        return Exit(
            code,
            self._signal(code),
            self.breach,
            round(time.monotonic() - self.started, 3),
            round(self.peak),
            self.peak_tasks,
            getattr(self.popen, "lost", None),  # a warm stage's parent says
        )

    def _signal(self, code: int) -> str | None:
        number = -code if code < 0 else None
        if number is None and self.isolation.namespaced and code > 128:
            number = code - 128  # both report the stage's death by signal N as 128+N
        if number is None:
            return None
        try:
            return signal.Signals(number).name
        except ValueError:
            return f"signal {number}"


def _process(pid: int) -> psutil.Process | None:
    """The started process, or None if it has ended already: a warm stage that ends at
    once is reaped by its parent before the grader looks (its code still comes back)."""
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def _pss_mb(largest_first: list[psutil.Process], most: int = 64) -> float:
    """Proportional memory of a tree: forked children share copy-on-write pages, which
    RSS counts once per process (read only when RSS says the limit is passed, and only
    for the largest processes: reading smaps is slow for big address spaces)."""
    total = 0
    for p in largest_first[:most]:
        with contextlib.suppress(OSError), open(f"/proc/{p.pid}/smaps_rollup") as f:
            total += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    return total / 1024


def _ppid(p: psutil.Process) -> int | None:
    """A process's parent's pid; None once it is gone (it counts no more)."""
    try:
        return p.ppid()
    except psutil.Error:
        return None


def _folder_bytes(path: Path, most_entries: int = 10_000) -> int:
    """Bytes in a folder the grader reads back; too many entries count as too large."""
    total = 0
    for n, entry in enumerate(os.scandir(path)):
        if n > most_entries:
            return 2**62
        with contextlib.suppress(OSError):
            total += entry.stat(follow_symlinks=False).st_size
    return total
