"""What a stage's root is made of, named by both ways into the sandbox: bubblewrap's
command line (``sandbox``) and a warm stage confining itself (``warm/confine``). Plain
data, importing nothing of ours."""

from __future__ import annotations

from dataclasses import dataclass

WORK = "/home/student"  # the submission's working folder inside the sandbox


@dataclass(frozen=True)
class Mount:
    """One step in building a stage's root, in order; bubblewrap's command line and a warm
    stage (``grader/runner/warm/confine.py``) build the same root from the same steps."""

    kind: str  # "ro-bind", "bind", "symlink", "dir", "tmpfs", "proc" or "dev"
    dest: str
    source: str = ""  # the host path bound, or a symlink's target
    perms: int = 0o755  # of a dir or a tmpfs
    size: int = 0  # of a tmpfs, in bytes
