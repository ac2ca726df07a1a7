"""Looks for what earlier or concurrent submissions left or hold: files in /tmp, home,
shared memory and the exchange folder, and other processes' roots; then behaves."""

import glob
import os

places = ["/tmp", os.path.expanduser("~"), "/dev/shm", "/exchange"]
found = glob.glob("/*-trace")
for folder in places:
    found += glob.glob(os.path.join(folder, "**", "*-trace"), recursive=True)
for path in found:
    print(f"ATTACK-SUCCEEDED: found {path}")
for root in glob.glob("/proc/[0-9]*/root"):
    try:
        found = glob.glob(os.path.join(root, "tmp", "*-trace"))
    except OSError:
        continue
    for path in found:
        print(f"ATTACK-SUCCEEDED: found {path}")
print("SNOOP-DONE")
