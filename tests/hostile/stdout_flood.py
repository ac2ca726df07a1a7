"""Prints 300 MB, then behaves."""

import sys

line = "flood " * 170 + "\n"
for _ in range(300_000):
    sys.stdout.write(line)
print("FLOOD-END")
