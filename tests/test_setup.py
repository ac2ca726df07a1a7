"""setup.sh is the README's first step and CI's install: run again, it only checks."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_setup_again_changes_nothing_and_is_quick():
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("the tests run outside the .venv that setup.sh makes")
    stamp = ROOT / ".venv" / ".grader-setup"
    before = stamp.stat().st_mtime_ns
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / "setup.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")},
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stderr and "creating" not in done.stderr, done.stderr
    assert "ready: .venv/bin/grader" in done.stderr
    assert stamp.stat().st_mtime_ns == before
    assert seconds < 10, seconds
