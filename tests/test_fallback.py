"""The fallback level (no bubblewrap): rlimits and the process-tree watchdog still give
clear verdicts, and no process a submission started outlives its run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.conftest import EXAMPLES, ROOT, cli, results, tiny_batch

pytestmark = pytest.mark.slow

HOSTILE = Path(__file__).resolve().parent / "hostile"
DAEMON_SECONDS = 3137
EXPECTED = {  # attack: (status, failure kind)
    "infinite_loop": ("failed", "timeout"),
    "memory_hog": ("failed", "memory"),
    "fork_bomb": ("failed", "resources"),
    "setsid_daemon": ("graded", None),
}


@pytest.fixture(scope="module")
def fallback(tmp_path_factory, data_path):
    folder = tmp_path_factory.mktemp("subs")
    for name in EXPECTED:
        text = (HOSTILE / f"{name}.py").read_text()
        text = text.replace("{{DAEMON_SECONDS}}", str(DAEMON_SECONDS))
        model = (EXAMPLES / "good_cnn.py").read_text() if EXPECTED[name][0] == "graded" else ""
        (folder / f"{name}.py").write_text(text + "\n" + model)
    out, _, done = tiny_batch(
        tmp_path_factory,
        data_path,
        [folder],
        "--sandbox",
        "process",
        "--jobs",
        "2",
        wall_time_s=120,  # honest runs take up to ~40 s with 2 jobs on 2 slow cores
        # What stops the endless loop. As root without bubblewrap no rlimit bounds the fork
        # bomb: the watchdog counts its thousands of processes, which took over 40 s here.
        code_time_s=75,
        memory_mb=2048,
    )
    daemons = [
        p
        for p in psutil.process_iter(["cmdline"])
        if f"sleep {DAEMON_SECONDS}" in " ".join(p.info["cmdline"] or [])
    ]
    return results(out), done, daemons


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fallback_verdicts(fallback, name):
    r, _, _ = fallback
    status, kind = EXPECTED[name]
    failure = r[name]["failure"] or {}
    assert r[name]["status"] == status, failure
    assert failure.get("kind") == kind, failure
    assert r[name]["sandbox"]["level"] == "process"


def test_fallback_says_loudly_what_is_missing(fallback):
    r, done, _ = fallback
    assert "WARNING: submissions are NOT isolated" in done.stderr
    missing = " ".join(r["setsid_daemon"]["sandbox"]["missing"])
    assert "network" in missing and "filesystem" in missing


def test_detached_daemon_is_killed_in_fallback(fallback):
    _, _, daemons = fallback
    assert daemons == []


def test_bubblewrap_asked_for_is_refused_without_it(tmp_path, data_path):
    """Told --sandbox bubblewrap, where bwrap is missing, the grader refuses before
    grading (with auto or strict it would run warm stages, which need no bubblewrap)."""
    bin_dir = tmp_path / "bin"  # a PATH with Python but no bwrap
    bin_dir.mkdir()
    env = {**os.environ, "PATH": str(bin_dir)}
    done = cli(
        "check",
        str(EXAMPLES / "good_cnn.py"),
        "--data",
        data_path,
        "--out",
        str(tmp_path / "out"),
        "--sandbox",
        "bubblewrap",
        env=env,
    )
    assert done.returncode == 2
    assert "--sandbox bubblewrap: not available here" in done.stderr
    assert "bubblewrap is not installed" in done.stderr
    assert not (tmp_path / "out").exists()
    assert shutil.which("bwrap"), "CI installs bubblewrap: the suite must run with it"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs stages under other uids")
def test_a_python_other_uids_cannot_run_leaves_stages_as_root_and_says_why(tmp_path):
    closed = tmp_path / "closed"  # the grader's Python in a 0700 folder, like a pyenv in /root
    closed.mkdir(mode=0o700)
    venv = closed / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    here = [*(p for p in sys.path if p.endswith("-packages")), str(ROOT)]  # this grader
    (next(venv.glob("lib/python*/site-packages")) / "grader.pth").write_text("\n".join(here))
    probe = (
        "import json, grader.runner.sandbox as s; print(json.dumps(s.detect('process').to_json()))"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["user"] == "the grader's user"
    gap = next(g for g in found["missing"] if g.startswith("user: "))
    assert "stages run as root" in gap and "Permission denied" in gap
    outermost = gap.split("; ")[1].split(" is closed")[0]
    assert closed.is_relative_to(outermost) and not os.stat(outermost).st_mode & 0o001
