"""Tries to reach the process that started it (the warm parent, bubblewrap) or a sibling
stage: signals every pid it can name, traces and reads the memory of every process it
finds that is not itself, looks for an inherited socket; then behaves."""

import contextlib
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
me = os.getpid()
print(f"VISIBLE: {sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}")
named = [1]
for pid in range(2, 1 << 16):  # a pid outside this PID namespace cannot even be named
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        continue
    except PermissionError:
        pass
    named.append(pid)
for pid in named:
    try:
        with open(f"/proc/{pid}/status") as f:
            group = int(next(line for line in f if line.startswith("Tgid:")).split()[1])
    except OSError:  # /proc shows this namespace only
        print(f"ATTACK-SUCCEEDED: named {pid}, outside this namespace")
        continue
    if group == me:  # a thread of its own
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
    with contextlib.suppress(OSError):
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            print(f"ATTACK-SUCCEEDED: inherited socket on descriptor {fd}")
print("REACH-TRIED")
