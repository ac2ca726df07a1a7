"""The patches student code runs under (grader/inside/patches.py), probed in a process of
their own as the sandbox runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # it starts TensorFlow

PROBE = """
import json, numpy as np, keras
from grader.inside import patches
capture = patches.Capture()
budget = {"fit_samples": 8, "fit_epochs": 1}
patches.install(keras, budget, capture, {}, {"max_params": 10**6, "memory_mb": 4096})
seen = []
class Spy(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        seen.append(self.model.run_eagerly)
def compiled(loss="sparse_categorical_crossentropy"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", loss, metrics=["accuracy"])
    return model
model = compiled()
x, y = np.ones((64, 4), "float32"), np.zeros(64, "int64")
history = model.fit(x, y, epochs=5, batch_size=4, validation_data=(x, y), callbacks=[Spy()])
made = (model.train_function, model.test_function, model.predict_function)
after = [model.run_eagerly, *(f is None for f in made)]
model.fit(x, y, epochs=5, batch_size=4, callbacks=[Spy()])  # a later fit: as in Jupyter
after.append(model.train_function is not None)
def own_loss(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
compiled(own_loss).fit(x, y, batch_size=4, callbacks=[Spy()])  # the student's own loss
# no images: eagerly a ValueError, in Jupyter no steps and an empty history
empty = compiled().fit(x[:0], y[:0], epochs=2, validation_data=(x[:0], y[:0]))
class Branchy(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2, activation="softmax")
    def call(self, x):
        if keras.ops.sum(x) > 0:  # Python control flow on a tensor: works eagerly only
            return self.dense(x)
        return self.dense(-x)
branchy = Branchy()
branchy.compile("sgd", "sparse_categorical_crossentropy")
try:
    branchy.fit(x, y, batch_size=4)
    failed = None
except Exception as exc:
    failed = type(exc).__name__
print(json.dumps([seen, after, len(history.history["loss"]), empty.history, failed]))
"""


@pytest.fixture(scope="module")
def probed() -> list:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_first_capped_fit_runs_eagerly_and_leaves_the_model_as_found(probed):
    seen, after, epochs, _, _ = probed
    # 8 rows in batches of 4, one epoch: the first fit eagerly, the next one traced
    assert seen[:4] == [True, True, False, False]
    assert after == [False, True, True, True, True] and epochs == 1


def test_code_of_the_student_s_own_in_a_step_runs_as_in_jupyter(probed):
    seen, _, _, _, failed = probed
    assert seen[4:] == [False, False]  # their own loss: traced
    assert failed == "OperatorNotAllowedInGraphError"  # their own call(): Jupyter's error


def test_a_fit_that_fails_eagerly_ends_as_it_does_in_jupyter(probed):
    assert probed[3] == {}
