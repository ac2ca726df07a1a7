"""Leaves files for the next submission graded on this machine (its /tmp, home, shared
memory, exchange folder); then behaves."""

import os

for folder in ("/tmp", os.path.expanduser("~"), "/dev/shm", "/exchange", "/tmp/.."):
    try:
        with open(os.path.join(folder, "{{MARKER}}-trace"), "w") as f:
            f.write("left by another submission")
        print(f"TRACE-LEFT: {folder}")
    except OSError as exc:
        print(f"TRACE-BLOCKED: {folder}: {type(exc).__name__}")
