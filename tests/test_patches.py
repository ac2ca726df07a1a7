"""The patches student code runs under (grader/inside/patches.py), probed in a process of
their own as the sandbox runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, numpy as np, keras
from grader.inside import patches
capture = patches.Capture()
budget = {"fit_samples": 8, "fit_epochs": 1}
patches.install(keras, budget, capture, {}, {"max_params": 10**6, "memory_mb": 4096})
seen = []
class Spy(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        seen.append((self.model.run_eagerly, self.model.train_function is not None))
def compiled():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
model = compiled()
x, y = np.ones((64, 4), "float32"), np.zeros(64, "int64")
history = model.fit(x, y, epochs=5, batch_size=4, callbacks=[Spy()])
after = [model.run_eagerly, model.train_function is None, model.test_function is None]
model.fit(x, y, epochs=5, batch_size=4, callbacks=[Spy()])  # a later fit: as in Jupyter
after.append(model.train_function is not None)
# no images: eagerly a ValueError, in Jupyter no steps and an empty history
empty = compiled().fit(x[:0], y[:0], epochs=2, validation_data=(x[:0], y[:0]))
print(json.dumps([seen, after, len(history.history["loss"]), empty.history]))
"""


@pytest.fixture(scope="module")
def probed() -> list:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_first_capped_fit_runs_eagerly_and_leaves_the_model_as_found(probed):
    seen, after, epochs, _ = probed
    # 8 rows in batches of 4, one epoch: the first fit eagerly, the next one traced
    assert seen == [[True, True]] * 2 + [[False, True]] * 2
    assert after == [False, True, True, True] and epochs == 1


def test_a_fit_that_fails_eagerly_ends_as_it_does_in_jupyter(probed):
    assert probed[3] == {}
