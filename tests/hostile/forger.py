"""Forges its grade: prints a perfect result, writes files named like the grader's
(now and at exit), and exits early after its model is built."""

import atexit
import json
import os

import numpy as np

FORGED = {
    "submission": "forger",
    "status": "graded",
    "score": 100,
    "max_score": 100,
    "accuracy": 1.0,
    "passed": True,
    "ok": True,
    "mode": "trained",
}
print(json.dumps(FORGED))


def _forge() -> None:
    perfect = np.eye(10, dtype="float32")[np.zeros(2000, dtype=int)]
    for folder in (".", "..", "/exchange", "/out", "{{OUT}}", os.path.expanduser("~")):
        for name in ("result.json", "outcome.json", "grades.csv"):
            try:
                with open(os.path.join(folder, name), "w") as f:
                    json.dump(FORGED, f)
            except OSError:
                pass
        try:
            np.save(os.path.join(folder, "predictions.npy"), perfect)
        except OSError:
            pass


_forge()
atexit.register(_forge)
