"""Tries to poison what later stages import: a module and a bytecode cache file in the
folders of TensorFlow, Keras, NumPy and the grader; then behaves."""

import importlib
import os

for name in ("tensorflow", "keras", "numpy", "grader", "grader.inside"):
    try:
        folder = os.path.dirname(importlib.import_module(name).__file__)
    except Exception as exc:  # noqa: BLE001 - only telling
        print(f"NO-MODULE: {name}: {type(exc).__name__}")
        continue
    for path in (
        os.path.join(folder, "{{MARKER}}.py"),
        os.path.join(folder, "__pycache__", "{{MARKER}}.cpython-311.pyc"),
    ):
        try:
            with open(path, "w") as f:
                f.write("raise SystemExit('poisoned')")
            print(f"ATTACK-SUCCEEDED: wrote {path}")
        except OSError as exc:
            print(f"POISON-BLOCKED: {path}: {type(exc).__name__}")
print("POISON-TRIED")
