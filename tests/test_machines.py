"""Grades across machines: the machine is pinned where it can be (oneDNN), recorded in
every result, and a grade made against a calibration from another machine says so.

Another CPU is simulated by a copy of the tiny calibration whose recorded fingerprint is
that of an Intel Xeon with AVX-512 and AMX; the same submission is graded against it and
against the calibration made here.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from grader.runner import machine
from tests.conftest import EXAMPLES, TINY, tiny_batch
from tests.test_calibration import XEON

pytestmark = pytest.mark.slow  # grades, or starts warm parents that import TensorFlow

PROBE = """
import json
from pathlib import Path
from grader.runner import machine, sandbox
print(json.dumps([machine.fingerprint()["onednn"],
                  sandbox.environment(sandbox.Isolation("process", (), False), Path("/tmp"), 2)]))
"""


def _probe(**env: str) -> tuple[str, dict]:
    clean = {k: v for k, v in os.environ.items() if k != machine.ONEDNN_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env={**clean, **env}
    )
    assert done.returncode == 0, done.stderr
    return tuple(json.loads(done.stdout))


def test_onednn_is_pinned_for_the_stages_and_recorded():
    recorded, env = _probe()
    assert (recorded, env["TF_ENABLE_ONEDNN_OPTS"]) == ("on", machine.ONEDNN_DEFAULT)
    recorded, env = _probe(**{machine.ONEDNN_VARIABLE: "0"})
    assert (recorded, env["TF_ENABLE_ONEDNN_OPTS"]) == ("off", "0")


SPY = """import os
print("stage sees TF_ENABLE_ONEDNN_OPTS=" + os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset"))
"""


@pytest.fixture(scope="module")
def spy(tmp_path_factory):
    """good_cnn, printing the oneDNN switch its stage sees."""
    path = tmp_path_factory.mktemp("machines") / "good_cnn.py"
    path.write_text(SPY + (EXAMPLES / "good_cnn.py").read_text())
    return path


def _graded(tmp_path_factory, data_path, spy, **limits):
    out, _, done = tiny_batch(tmp_path_factory, data_path, [spy], **limits)
    return out, done.stderr, json.loads((out / "good_cnn" / "result.json").read_text())


@pytest.fixture(scope="module")
def here(tmp_path_factory, data_path, spy):
    """Graded against the calibration made on this machine."""
    return _graded(tmp_path_factory, data_path, spy)


@pytest.fixture(scope="module")
def elsewhere(here, tmp_path_factory, data_path, spy):
    """Graded against the same calibration as if measured on a Xeon (AVX-512, AMX)."""
    ref = tmp_path_factory.mktemp("xeon_reference")
    shutil.copytree(TINY["reference"], ref, dirs_exist_ok=True)
    (made,) = (ref / "calibrations").glob("*.json")
    content = json.loads(made.read_text())
    content["machine"] = {**XEON, "versions": content["machine"]["versions"]}
    made.unlink()
    (ref / "calibrations" / "cifar10_cnn-tiny-xeon.json").write_text(json.dumps(content))
    return _graded(tmp_path_factory, data_path, spy, reference=str(ref))


OTHER = "calibration measured on another machine"


def test_a_matching_calibration_says_nothing_of_machines(here):
    out, stderr, r = here
    assert r["machine"] == machine.fingerprint()
    assert r["calibration"]["machine"] == machine.fingerprint()
    assert r["calibration"]["other_machine"] is None
    assert OTHER not in stderr.lower()
    page = (out / "good_cnn" / "report.html").read_text()
    assert OTHER not in page.lower() and machine.describe(r["machine"]) in page


def test_the_stage_runs_with_the_recorded_onednn_switch(here):
    out, _, r = here
    printed = (out / "good_cnn" / "output.txt").read_text()
    wanted = "1" if r["machine"]["onednn"] == "on" else "0"
    assert f"stage sees TF_ENABLE_ONEDNN_OPTS={wanted}" in printed


def test_a_calibration_from_another_machine_grades_the_same_and_says_so(here, elsewhere):
    _, _, same = here
    out, stderr, r = elsewhere
    assert r["status"] == "graded" and r["accuracy"] == same["accuracy"]  # same bits here
    assert (
        r["score"] == same["score"]
        and r["calibration"]["threshold"] == same["calibration"]["threshold"]
    )
    other = r["calibration"]["other_machine"]
    assert "Intel(R) Xeon(R)" in other["calibrated_on"]
    assert any(d.startswith("cpu.model: ") for d in other["differences"])
    assert stderr.lower().count(OTHER) == 1  # once per batch, in the banner
    assert "grader calibrate --budget standard" in stderr
    page = (out / "good_cnn" / "report.html").read_text()
    assert "Calibration measured on another machine" in page and "Xeon" in page
