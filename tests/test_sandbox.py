"""The sandbox runs wherever Python and the grader are installed, including a virtual
environment or a checkout under /tmp, which the sandbox's own private /tmp must not hide."""

import subprocess
import sys
import venv

PROBE = """
import sys
from grader import sandbox
found = sandbox.detect("auto")
print(sys.prefix)
print(found.level, found.missing)
"""


def test_python_under_tmp_is_sandboxed(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    done = subprocess.run(
        [str(env_dir / "bin" / "python"), "-I", "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    prefix, level = done.stdout.splitlines()
    assert prefix == str(env_dir) and prefix.startswith("/tmp/")  # the venv is what ran
    assert sys.prefix != prefix
    assert level.startswith("bubblewrap"), done.stdout + done.stderr
