"""Kills its parent process and pid 1, then behaves."""

import os
import signal

for pid in {os.getppid(), 1}:
    try:
        os.kill(pid, signal.SIGKILL)
        print(f"KILL-SENT: {pid}")
    except OSError as exc:
        print(f"KILL-BLOCKED: {pid}: {type(exc).__name__}")
