"""Starts a double-forked, setsid daemon meant to outlive the run, then behaves."""

import os

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "{{DAEMON_SECONDS}}"])
    os._exit(0)
os.wait()
