"""The sandbox runs wherever Python and the grader are installed, including a virtual
environment or a checkout under /tmp, which the sandbox's own private /tmp must not hide."""

import site
import subprocess
import sys
import venv

PROBE = """
import sys
from grader.runner import sandbox
print(sys.prefix)
for mode in ("warm", "bubblewrap"):
    found = sandbox.detect(mode)
    print(found.level, found.missing)
"""


def test_python_under_tmp_is_sandboxed(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    # The new environment sees this one's packages (the grader among them) the way a
    # venv sees its own: through site-packages, .pth files included (editable installs).
    (nested,) = env_dir.glob("lib/python*/site-packages")
    adds = "; ".join(f"site.addsitedir({d!r})" for d in site.getsitepackages())
    (nested / "outer.pth").write_text(f"import site; {adds}\n")
    done = subprocess.run(
        [str(env_dir / "bin" / "python"), "-I", "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    prefix, warm, bubblewrap = done.stdout.splitlines()
    assert prefix == str(env_dir) and prefix.startswith("/tmp/")  # the venv is what ran
    assert sys.prefix != prefix
    assert warm.startswith("warm"), done.stdout + done.stderr
    assert bubblewrap.startswith("bubblewrap"), done.stdout + done.stderr
