"""Hostile submissions, graded in one batch next to well-behaved ones, under full isolation.

Each attack is a real submission. The test checks containment from the host's side
(a listener, marker files, a secret, the process table) and that each gets a clear
verdict, and that the well-behaved submission is graded exactly as when alone.
Every attack is bounded, so a failed containment cannot hurt the machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import socket
import threading
from pathlib import Path

import psutil
import pytest

import grader
from grader.inside import loaders
from grader.reporting import printed
from grader.runner import sandbox
from grader.runner.warm import client
from tests.conftest import EXAMPLES, REFERENCE, TINY, cli, results, spec_text

pytestmark = pytest.mark.slow

HOSTILE = Path(__file__).resolve().parent / "hostile"
HONEST = (EXAMPLES / "good_cnn.py").read_text()
DENSE = (EXAMPLES / "dense_only.py").read_text()
SUITE_LIMITS = {
    # room for an honest run beside the attacks and another test file's batch (an honest
    # run with 2 jobs took up to ~40 s on 2 slow cores); no verdict here waits for it
    "wall_time_s": 180,
    # What stops the hung ones; the fork bomb's own code needs up to ~45 s to reach the
    # process limit next to the other attacks on 2 slow cores.
    "code_time_s": 75,
    "memory_mb": 2048,
    "processes": 512,
    "disk_mb": 256,
    "output_kept_kb": 16,
}
DAEMON_SECONDS = 3131

# attack: (status, failure kind, words in the failure message, model appended)
EXPECTED = {
    "net_loopback": ("graded", None, "", HONEST),
    "search_files": ("graded", None, "", HONEST),
    "read_env": ("graded", None, "", HONEST),
    "write_outside": ("graded", None, "", HONEST),
    "fork_bomb": ("failed", "resources", "processes and threads", ""),
    "thread_bomb": ("failed", "resources", "processes and threads", ""),
    "memory_hog": ("failed", "memory", "MemoryError", ""),
    "infinite_loop": ("failed", "timeout", "limit of 75 s for running it", ""),
    "sigterm_sleeper": ("failed", "timeout", "limit of 75 s for running it", ""),
    "setsid_daemon": ("graded", None, "", HONEST),
    "stdout_flood": ("graded", None, "", HONEST),
    "disk_filler": ("failed", "resources", "disk limit", ""),
    "many_files": ("failed", "resources", "disk limit", ""),
    "exchange_filler": ("failed", "resources", "writing too much", ""),
    "forger": ("graded", None, "", HONEST),
    "patch_harness": ("graded", None, "", DENSE),
    "pickle_trap": ("graded", None, "", HONEST),
    "kill_parent": ("graded", None, "", HONEST),
    "tamper_timings": ("failed", "crashed", "bad 'timings'", HONEST),  # stopped the batch once
    # aimed at the warm path: the parent, siblings, the next submission, import caches
    "warm_reach": ("graded", None, "", HONEST),
    "leave_trace": ("graded", None, "", HONEST),
    "snoop_previous": ("graded", None, "", HONEST),
    "poison_imports": ("graded", None, "", HONEST),
}


class Listener:
    """A TCP listener on the host's loopback that counts connections (bounded, stops)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


def _write_suite(folder: Path, values: dict[str, str]) -> None:
    for name, (_, _, _, model) in EXPECTED.items():
        text = (HOSTILE / f"{name}.py").read_text()
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        (folder / f"{name}.py").write_text(text + "\n" + model)
    (folder / "honest.py").write_text(HONEST)
    (folder / "honest_dense.py").write_text(DENSE)


def _other_workers() -> set[int]:
    """pytest-xdist's other workers (the siblings of this one): the batches they grade
    meanwhile are theirs, not something this batch left."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return set()
    return {p.pid for p in psutil.Process(os.getppid()).children()} - {os.getpid()}


def _sandbox_processes(warm_folder: Path) -> list[psutil.Process]:
    """Processes any submission could have left: sandbox uids, the daemon, our stages, and
    anything still under this batch's own warm parent (it stays warm after the batch; its
    socket is in ``warm_folder``). One that escaped its run has lost its place in the tree,
    so it is under no other worker, and no warm parent serving other graders."""
    found, others = [], _other_workers()
    for p in psutil.process_iter(["uids", "cmdline"]):
        try:
            uid = p.info["uids"].real
            line = " ".join(p.info["cmdline"] or [])
            above = [(a.pid, " ".join(a.cmdline())) for a in p.parents()]
            ours = [a for a in above if str(warm_folder) in a[1]]
            elsewhere = any(pid in others or "grader.runner.warm.parent" in a for pid, a in above)
            suspect = (
                61000 <= uid < 61300 or f"sleep {DAEMON_SECONDS}" in line or "grader.inside" in line
            )
            if ours or (suspect and not elsewhere):
                found.append(p)
        except (psutil.Error, TypeError):
            continue
    return found


@pytest.fixture(scope="module", params=[sandbox.WARM, sandbox.BUBBLEWRAP])
def suite(request, tmp_path_factory, data_path):
    """The hostile batch, graded once on each path to the full sandbox."""
    spec = tmp_path_factory.mktemp("spec") / "assignment.toml"
    spec.write_text(spec_text(**{**TINY, **SUITE_LIMITS}))
    folder = tmp_path_factory.mktemp("hostile")
    out = tmp_path_factory.mktemp("out")
    marker = f"pwned-{secrets.token_hex(4)}"
    secret_name, secret = "GRADER_TEST_SECRET", f"s3cr3t-{secrets.token_hex(8)}"
    home_secret = Path.home() / f".grader-test-{secrets.token_hex(4)}"
    home_secret.write_text("instructor's private notes")
    listener = Listener()
    values = {
        "PORT": str(listener.port),
        "SECRET_NAME": secret_name,
        "MARKER": marker,
        "OUT": str(out),
        "PKG": str(Path(grader.__file__).parent),
        "DATA": data_path,
        "REFERENCE": str(REFERENCE),
        "HOME": str(Path.home()),
        "DAEMON_SECONDS": str(DAEMON_SECONDS),
        "MARKER_PATH": str(Path("/tmp") / f"{marker}-unpickled"),
    }
    _write_suite(folder, values)
    # a warm parent of this batch's own (it outlives the batch, as any does): what is still
    # under it afterwards was left by a submission
    warm_folder = tmp_path_factory.mktemp("warm")
    env = {**os.environ, secret_name: secret, "XDG_RUNTIME_DIR": str(warm_folder)}
    common = ["--data", data_path, "--assignment", str(spec), "--sandbox", request.param]
    try:
        # The attacks that end at a limit first, side by side: the honest runs fill the
        # other slots while they wait (4 jobs on 2 cores).
        ordered = sorted(
            folder.iterdir(), key=lambda p: EXPECTED.get(p.stem, ("graded",))[0] == "graded"
        )
        done = cli("grade", *map(str, ordered), "--out", str(out), "--jobs", "4", *common, env=env)
        alone_out = tmp_path_factory.mktemp("alone")
        alone = cli("grade", str(folder / "honest.py"), "--out", str(alone_out), *common, env=env)
        leftovers = _sandbox_processes(warm_folder)
    finally:
        listener.close()
        home_secret.unlink()
        client.stop_all(warm_folder)  # its graders are done: it ends
    assert done.returncode == 0, done.stderr[-3000:]
    assert alone.returncode == 0, alone.stderr[-3000:]
    return {
        "results": results(out),
        "alone": results(alone_out)["honest"],
        "out": out,
        "listener": listener,
        "marker": marker,
        "secret": secret,
        "values": values,
        "stderr": done.stderr,
        "leftovers": leftovers,
        "level": request.param,
    }


def test_batch_runs_under_full_isolation(suite):
    for result in suite["results"].values():
        assert result["sandbox"]["level"] == suite["level"]
        assert result["sandbox"]["missing"] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_attack_gets_a_clear_verdict(suite, name):
    status, kind, words, _ = EXPECTED[name]
    result = suite["results"][name]
    assert result["status"] == status, result["failure"]
    if kind:
        assert result["failure"]["kind"] == kind
        assert words in result["failure"]["message"]
        assert result["failure"]["hint"]
    else:
        assert result["accuracy"] is not None


def test_well_behaved_submission_is_graded_as_when_alone(suite):
    honest, alone = suite["results"]["honest"], suite["alone"]
    assert honest["status"] == "graded"
    assert honest["accuracy"] == alone["accuracy"]
    assert honest["score"] == alone["score"]
    assert honest["history"]["curves"] == alone["history"]["curves"]


def _output(suite, name: str) -> str:
    return (suite["out"] / name / "output.txt").read_text()


def test_no_network_not_even_host_loopback(suite):
    assert suite["listener"].connections == 0
    assert "NET-BLOCKED" in _output(suite, "net_loopback")


def test_nothing_secret_is_visible(suite):
    text = _output(suite, "search_files")
    # Code that names the batch files gets the grader's own copies (test_environment.py
    # shows they hold no test image): they are all it finds.
    found = re.search(r"FOUND: \[(.*)\]", text)[1]
    served = f"'{sandbox.WORK}/{loaders.BATCHES}/"
    assert all(path.startswith(served) for path in found.split(", ") if path), found
    assert "ATTACK-SUCCEEDED" not in text and text.count("READ-BLOCKED") == 5
    assert "DATA-DIR: ['test_x.npy', 'train_x.npy', 'train_y.npy']" in text


def test_submission_never_runs_as_root(suite):
    text = _output(suite, "search_files")
    assert "UID: " in text and "UID: 0 " not in text and "GID: 0\n" not in text
    if os.geteuid() == 0:
        assert suite["results"]["search_files"]["sandbox"]["user"] == "own non-root uid"


def test_environment_is_cleared(suite):
    text = _output(suite, "read_env")
    assert "SECRET: None" in text
    for path in suite["out"].rglob("*"):
        if path.is_file():
            assert suite["secret"] not in path.read_text(errors="replace")


def test_nothing_written_outside_the_work_dir(suite):
    v, marker = suite["values"], suite["marker"]
    for path in (
        Path("/tmp") / marker,
        Path(v["HOME"]) / marker,
        Path(v["PKG"]) / f"{marker}.py",
        Path(v["OUT"]) / marker,
        Path("/") / marker,
        Path("/tmp") / f"{marker}-unpickled",
    ):
        assert not path.exists(), path
    assert not any(Path("/tmp").glob("pwned-*"))


def test_no_process_outlives_the_run(suite):
    assert suite["leftovers"] == []


def test_output_flood_keeps_head_and_tail(suite):
    text, _ = printed.parts(_output(suite, "stdout_flood"))  # the machine's log lines apart
    assert "bytes of output cut" in text and text.rstrip().endswith("FLOOD-END")
    assert len(text.encode()) < 20_000


def test_forged_and_patched_results_change_nothing(suite):
    r = suite["results"]
    assert r["forger"]["accuracy"] == r["honest"]["accuracy"]
    assert r["forger"]["score"] == r["honest"]["score"]
    patched = r["patch_harness"]
    assert patched["accuracy"] == r["honest_dense"]["accuracy"]
    assert patched["score"] == r["honest_dense"]["score"]
    checks = {c["name"]: c["passed"] for c in patched["checks"]}
    assert not checks["convolutions"]
    assert patched["trained_in"] == "trainer"
    stored = json.loads((suite["out"] / "forger" / "result.json").read_text())
    assert stored["accuracy"] != 1.0


def test_killing_its_parent_harms_nothing(suite):
    assert "KILL-" in _output(suite, "kill_parent")
    assert suite["results"]["honest"]["status"] == "graded"


def test_no_stage_reaches_the_process_that_started_it_or_a_sibling(suite):
    text = _output(suite, "warm_reach")
    assert "REACH-TRIED" in text and "ATTACK-SUCCEEDED" not in text
    visible = json.loads(re.search(r"VISIBLE: (\[.*\])", text)[1])
    assert 1 in visible and len(visible) <= 3  # its own namespace: PID 1 and itself
    assert "MEM-BLOCKED: 1:" in text  # its namespace's PID 1, another uid's


def test_nothing_is_left_for_the_next_submission(suite):
    assert "TRACE-LEFT: /tmp" in _output(suite, "leave_trace")
    text = _output(suite, "snoop_previous")
    assert "SNOOP-DONE" in text and "ATTACK-SUCCEEDED" not in text
    assert not any(Path("/tmp").glob(f"{suite['marker']}-trace"))


def test_imported_packages_cannot_be_poisoned(suite):
    text = _output(suite, "poison_imports")
    assert "POISON-TRIED" in text and "ATTACK-SUCCEEDED" not in text
    assert text.count("POISON-BLOCKED") == 10
    marker = suite["marker"]
    for name in ("tensorflow", "keras", "numpy", "grader"):
        folder = Path(importlib.util.find_spec(name).origin).parent
        for inside in (folder, folder / "inside") if name == "grader" else (folder,):
            assert not (inside / f"{marker}.py").exists()
            assert not list((inside / "__pycache__").glob(f"{marker}*"))
