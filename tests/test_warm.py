"""The warm path against its reference, bubblewrap: the same probe, run as a stage by
both, must see the same confinement (ids, root, capabilities, network, writable places,
environment, processes, descriptors); and the warm machinery itself (start-up, the
parent's state, an ended stage, a refusal) behaves."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

import grader
from grader.runner import sandbox
from grader.runner.warm import client, confine
from grader.runner.warm import parent as parent_module
from grader.spec_types import Limits

pytestmark = pytest.mark.slow  # grades, or starts warm parents that import TensorFlow

THREADS = "import os; print(len(os.listdir('/proc/self/task')))"

PROBE = r"""
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        os.unlink(path)
        return True
    except OSError:
        return False
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines())
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
    host_loopback = "reached"
except OSError as exc:
    host_loopback = type(exc).__name__
nested = libc.unshare(0x10000000)
print(json.dumps({
    "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "hostname": os.uname().nodename, "root": sorted(os.listdir("/")),
    "caps": {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
    "no_new_privs": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip(),
    "nested_user_namespace": nested == 0,
    "host_loopback": host_loopback,
    "writable": {p: writable(p + "/probe") for p in ("/", "/usr", "/data", "/out", "/tmp",
                 "/home/student", "/dev/shm", sys.prefix)},
    "env": sorted(os.environ), "cwd": os.getcwd(),
    "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "descriptors": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
    "dev": sorted(os.listdir("/dev")),
    "hash": hash("grader"),
    # caught below 32: glibc's own setxid signal (33) is caught where the uid was dropped
    "signals": [status["SigBlk"], status["SigIgn"], int(status["SigCgt"], 16) & 0xFFFFFFFF],
}))
"""


WARM = sandbox.Isolation(sandbox.WARM, (), os.geteuid() == 0)
STAGE_UID = sandbox.PROBE_UID if os.geteuid() == 0 else None


def _box(folder: Path, code: str, binds: dict | None = None) -> sandbox.Box:
    """A warm stage running ``code`` in the stage Python, as the grader asks for one."""
    env = sandbox.environment(WARM, folder, 2)
    return sandbox.Box(
        [sys.executable, "-s", "-P", "-c", code], binds or {}, env, Limits(), STAGE_UID
    )


@pytest.fixture(scope="module")
def listener():
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def _run(level: str, folder: Path, port: int) -> tuple[dict, sandbox.Exit, str]:
    isolation = sandbox.Isolation(level, (), os.geteuid() == 0)
    data, out, job = folder / "data", folder / "out", folder / "job"
    for path in (data, out, job):
        path.mkdir(exist_ok=True)
        os.chmod(path, 0o777)
    box = sandbox.Box(
        [sys.executable, "-s", "-P", "-c", PROBE, str(port)],
        # a bind under /tmp, as a Python environment under /tmp has (a fresh clone): the
        # folders on its way must not change /tmp's mode
        {"/data": (data, False), "/out": (out, True), "/tmp/job": (job, False)},
        sandbox.environment(isolation, folder, 2),
        Limits(),
        sandbox.PROBE_UID if os.geteuid() == 0 else None,
    )
    confined = sandbox.Confined(isolation, box, folder)
    confined.popen.wait(timeout=120)
    done = confined.stop()
    text = confined.output.text()
    return json.loads(text.strip().splitlines()[-1]), done, text


@pytest.fixture(scope="module")
def seen(tmp_path_factory, listener) -> dict[str, dict]:
    """Each path's probe, asked for by a grader that ignores SIGINT and SIGQUIT, as a shell
    script's background job does: neither may hand that on to its stage."""
    found = {}
    before = {n: signal.signal(n, signal.SIG_IGN) for n in (signal.SIGINT, signal.SIGQUIT)}
    try:
        for level in (sandbox.WARM, sandbox.BUBBLEWRAP):
            folder = tmp_path_factory.mktemp(level)
            found[level], done, text = _run(level, folder, listener)
            assert done.returncode == 0, text
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    client.close_all()
    return found


@pytest.mark.parametrize(
    "what",
    ["uid", "gid", "groups", "hostname", "root", "caps", "no_new_privs", "host_loopback",
     "writable", "env", "cwd", "descriptors", "hash", "nested_user_namespace", "signals"],
)  # fmt: skip
def test_a_warm_stage_is_confined_as_a_bubblewrap_one(seen, what):
    assert seen[sandbox.WARM][what] == seen[sandbox.BUBBLEWRAP][what]


def test_what_both_paths_hold(seen):
    warm = seen[sandbox.WARM]
    # signals as a fresh Python has them: SIGPIPE and SIGXFSZ ignored, SIGINT caught
    ignored = (1 << signal.SIGPIPE - 1) | (1 << signal.SIGXFSZ - 1)
    assert warm["signals"] == ["0000000000000000", f"{ignored:016x}", 1 << signal.SIGINT - 1]
    assert warm["uid"] != 0 and warm["caps"]["CapEff"] == "0000000000000000"
    assert warm["caps"]["CapBnd"] == "0000000000000000" and warm["no_new_privs"] == "1"
    assert warm["host_loopback"] == "ConnectionRefusedError"  # its own loopback, empty
    assert warm["nested_user_namespace"] == (os.geteuid() == 0)  # refused in a user namespace
    assert warm["writable"] == {
        "/": False,
        "/usr": False,
        "/data": False,
        "/out": True,
        "/tmp": True,
        "/home/student": True,
        "/dev/shm": True,
        sys.prefix: False,
    }
    assert warm["processes"] <= 3 and warm["descriptors"][:3] == [0, 1, 2]
    assert set(warm["dev"]) >= {"null", "zero", "urandom", "shm", "fd"}
    assert warm["hash"] == seen[sandbox.BUBBLEWRAP]["hash"]  # PYTHONHASHSEED=0 on both


def test_the_warm_parent_only_imported_and_holds_nothing(tmp_path):
    env = sandbox.environment(sandbox.Isolation(sandbox.WARM, (), False), tmp_path, 2)
    imports_only = subprocess.run(
        [sys.executable, "-s", "-P", "-c", f"import {', '.join(parent_module.WARM_UP)}; {THREADS}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    parent = client.connect(env, idle_s=0)  # a parent of its own, ended with its last grader
    proc = Path(f"/proc/{parent.pid}")
    base = os.readlink(proc / "cwd")  # where its stages build their roots
    try:  # the threads the imports start (BLAS servers, parked at fork), no TensorFlow pool
        assert parent.ready["threads"] == int(imports_only.stdout), imports_only.stderr
        assert "cifar" not in (proc / "maps").read_text().lower()  # no data, ever
        # its descriptors but stderr (its log)
        links = [os.readlink(fd) for fd in (proc / "fd").iterdir() if fd.name != "2"]
        assert sum(link.startswith("socket:") for link in links) == 2  # listening; this grader
        assert all(not link.startswith("/") or link == "/dev/null" for link in links)
        assert Path(base).is_dir() and os.stat(base).st_mode & 0o777 == 0o755
    finally:
        parent.close()
    assert psutil.wait_procs([psutil.Process(parent.pid)], timeout=10)[0]  # it ended
    assert not Path(base).exists()


def test_a_parent_outlives_its_command_and_serves_the_next_one_warm(tmp_path):
    """The next command connects to the parent the last one started, and a grader that
    goes away takes its running stages with it."""
    box = _box(tmp_path, "import time; time.sleep(60)")
    env = box.env
    first = client.connect(env, idle_s=30)
    stage = first.spawn(box.argv, box.env, box.uid, sandbox.mounts(box))
    first.close()  # its command ended: the stage it left ends with it
    assert psutil.wait_procs([psutil.Process(stage.pid)], timeout=10)[0]
    started = time.monotonic()
    second = client.connect(env, idle_s=30)
    assert second.pid == first.pid and time.monotonic() - started < 1.0  # no import again
    second.close()
    assert psutil.Process(second.pid).is_running()  # still warm
    if os.geteuid() == 0:  # another user cannot even reach its socket
        path = next(client._folder().glob("*.sock"))
        knock = "import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)"
        knock += ".connect(sys.argv[1])"
        other = subprocess.run(
            [sys.executable, "-c", knock, str(path)], user=65534, capture_output=True, text=True
        )
        assert "PermissionError" in other.stderr, other.stderr
    client.stop_all()
    assert psutil.wait_procs([psutil.Process(second.pid)], timeout=10)[0]


def test_a_parent_is_keyed_by_all_the_code_its_stages_run():
    """A stage runs the parent's imported copy of grader.inside: a parent started before
    that code changed must not serve it (the key once covered grader/runner alone)."""
    package = Path(grader.__file__).parent
    keyed = {path.relative_to(package).as_posix() for path in client.code_files()}
    assert {"inside/student.py", "inside/trainer.py", "inside/common.py"} <= keyed
    assert keyed == {p.relative_to(package).as_posix() for p in package.rglob("*.py")}


def test_parents_listen_in_a_folder_of_their_users_alone(monkeypatch):
    folder = client._folder()
    assert os.stat(folder).st_mode & 0o777 == 0o700 and os.stat(folder).st_uid == os.geteuid()
    monkeypatch.setenv("GRADER_WARM_IDLE_S", "soon")
    with pytest.raises(client.WarmFailed, match="GRADER_WARM_IDLE_S"):
        client.idle_seconds()
    monkeypatch.setenv("GRADER_WARM_IDLE_S", "0")
    assert client.idle_seconds() == 0


def test_a_stage_starts_in_a_tenth_of_a_second_and_can_be_ended(tmp_path, listener):
    box = _box(tmp_path, "import time; print('up', flush=True); time.sleep(60)")
    client.parent_for(box.env)  # warm: the import is paid once, before
    started = time.monotonic()
    confined = sandbox.Confined(WARM, box, tmp_path)
    while "up" not in confined.output.text():
        assert time.monotonic() - started < 5
        time.sleep(0.005)
    took = time.monotonic() - started
    done = confined.stop()
    assert done.signal == "SIGKILL" and took < 1.0  # the figure itself: bench/warm_vs_bubblewrap.py
    client.close_all()


def test_a_command_other_than_the_stages_python_is_refused(tmp_path):
    box = replace(_box(tmp_path, ""), argv=["/bin/sh", "-c", "echo hi"])
    confined = sandbox.Confined(WARM, box, tmp_path)
    confined.popen.wait(timeout=60)
    done = confined.stop()
    assert done.returncode != 0 and "runs only" in confined.output.text()
    client.close_all()


def test_a_stage_gone_before_the_grader_looks_is_still_supervised(tmp_path, monkeypatch):
    """A stage can end, and be reaped by its warm parent, before the grader looks at its
    process (CI, under load: a NoSuchProcess that cost a batch its exit status)."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert sandbox._process(gone.pid) is None
    box = _box(tmp_path, "raise SystemExit(3)")
    monkeypatch.setattr(sandbox, "_process", lambda pid: None)  # the look came too late
    confined = sandbox.Confined(WARM, box, tmp_path)
    confined.popen.wait(timeout=60)
    assert confined.watch(time.monotonic() + 60) is None
    assert confined.stop().returncode == 3
    client.close_all()


def test_the_kernel_supports_what_the_warm_path_needs():
    assert confine.supported() is None
    assert sandbox._warm_works(os.geteuid() == 0) is None  # the trial, as detect runs it


def test_a_stage_the_kernel_would_not_confine_is_no_verdict_on_the_code(tmp_path):
    """A refusal comes from the parent, out of the code's reach: a stage whose own code
    exits with the refusal's status is still the code's doing."""
    from grader.judging import verdict
    from grader.runner.sandbox import RunOutput

    def run(binds: dict) -> tuple[sandbox.Exit, str]:
        box = _box(tmp_path, f"raise SystemExit({confine.REFUSED})", binds)
        confined = sandbox.Confined(WARM, box, tmp_path)
        confined.popen.wait(timeout=60)
        return confined.stop(), confined.output.text()

    done, output = run({"/data": (tmp_path / "gone", False)})  # nothing there to bind
    assert "would not confine" in done.lost and done.returncode == confine.REFUSED, output
    problem = verdict.from_run(RunOutput(done, "student", None, None, None, output), Limits())
    assert problem.kind == "lost" and "sandbox lost this run" in problem.message
    assert "warm sandbox refused" in problem.message and "graded again" in problem.hint
    forged, output = run({})
    assert forged.lost is None and forged.returncode == confine.REFUSED, output
    assert (
        verdict.from_run(RunOutput(forged, "student", None, None, None, output), Limits()).kind
        == "crashed"
    )
    client.close_all()


def test_a_grader_gone_at_once_leaves_the_parent_serving_the_others(tmp_path):
    """One grader's trouble (gone before its greeting, a request without its output pipe,
    one that is not JSON) is never every grader's."""
    box = _box(tmp_path, "raise SystemExit(4)")
    env = box.env
    first = client.connect(env, idle_s=30)
    path = str(client._folder() / f"{client._name(env, 30)}.sock")
    for said in (None, b'{"argv": []}', b"not json"):
        knock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        knock.connect(path)
        if said is not None:
            knock.sendmsg([said])
            time.sleep(0.2)
        knock.close()
    time.sleep(0.2)
    stage = first.spawn(box.argv, box.env, box.uid, sandbox.mounts(box))
    assert stage.wait(timeout=60) == 4 and psutil.Process(first.pid).is_running()
    first.close()
    client.stop_all()


def test_a_stage_whose_warm_parent_ended_under_it_is_no_verdict_on_the_code(tmp_path):
    from grader.judging import verdict

    box = _box(tmp_path, "import time; time.sleep(60)")
    env = box.env
    parent = client.connect(env, idle_s=30)
    stage = parent.spawn(box.argv, box.env, box.uid, sandbox.mounts(box))
    psutil.Process(parent.pid).kill()  # the machine's OOM killer, say
    assert stage.wait(timeout=30) == -9 and "warm parent ended" in stage.lost
    done = sandbox.Exit(stage.returncode, "SIGKILL", None, 1.0, 0, 0, stage.lost)
    problem = verdict.from_run(sandbox.RunOutput(done, "student", None, None, None, ""), Limits())
    assert problem.kind == "lost" and "warm parent ended" in problem.message
