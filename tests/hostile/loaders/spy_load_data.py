"""Hunts for test labels through keras.datasets.cifar10.load_data(): prints a digest of
every image and label it is given, for the host to compare with the hidden test set."""

import hashlib

import numpy as np
from tensorflow import keras


def report(name, images, labels):
    seen = [f"{hashlib.sha1(np.ascontiguousarray(x, dtype=np.uint8).tobytes()).hexdigest()[:12]}:{int(y)}"
            for x, y in zip(images, np.ravel(labels))]
    print(f"SEEN {name} {','.join(seen)}")


(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
report("load_data-train", x_train, y_train)
report("load_data-test", x_test, y_test)
