"""Tries to reach the process that started it (the warm parent, bubblewrap) or a sibling
stage: signals every pid it can name, traces and reads the memory of every pid it sees,
looks for an inherited socket; then behaves."""

import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
me = os.getpid()
visible = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(f"VISIBLE: {visible}")
for pid in range(2, 1 << 16):  # a pid outside this PID namespace cannot even be named
    if pid in visible:
        continue
    try:
        os.kill(pid, 0)
        print(f"ATTACK-SUCCEEDED: signalled {pid}, not in this namespace")
    except ProcessLookupError:
        pass
    except PermissionError:
        print(f"ATTACK-SUCCEEDED: {pid} exists, not in this namespace")
for pid in visible:
    if pid == me:
        continue
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
        print(f"ATTACK-SUCCEEDED: traced {pid}")
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    try:
        with open(f"/proc/{pid}/mem", "rb") as f:
            f.read(1)
        print(f"ATTACK-SUCCEEDED: read the memory of {pid}")
    except OSError as exc:
        print(f"MEM-BLOCKED: {pid}: {type(exc).__name__}")
for fd in os.listdir("/proc/self/fd"):
    with __import__("contextlib").suppress(OSError):
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            print(f"ATTACK-SUCCEEDED: inherited socket on descriptor {fd}")
print("REACH-TRIED")
