import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import EXAMPLES, cli


def test_help_is_fast():
    best = min(_timed([sys.executable, "-m", "grader", "--help"]) for _ in range(3))
    assert best < 0.5, f"grader --help took {best:.2f}s"


def _timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0 and "grade" in done.stdout
    return time.perf_counter() - started


def test_console_script_and_version():
    script = Path(sys.executable).parent / "grader"  # this environment's, activated or not
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("grader ")


def test_bad_usage_exits_2_with_one_line():
    done = cli("grade")
    assert done.returncode == 2 and "PATH" in done.stderr
    done = cli("grade", "no/such/path", "--data", "/no/data")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_missing_data_is_a_usage_error(tmp_path):
    done = cli(
        "grade",
        str(EXAMPLES / "good_cnn.py"),
        "--data",
        str(tmp_path / "none"),
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode == 2
    assert "CIFAR-10 data not found" in done.stderr and "Traceback" not in done.stderr


def test_unknown_assignment_is_a_usage_error(tmp_path):
    done = cli("check", str(EXAMPLES / "good_cnn.py"), "--assignment", "nope")
    assert done.returncode == 2 and "assignment 'nope' not found" in done.stderr
