"""A subclassed model that keeps one convolution in a plain object (untracked) and
applies softmax with ops directly."""

import keras
from keras import layers, ops


class Box:
    def __init__(self):
        self.conv = layers.Conv2D(8, 3, activation="relu")


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.box = Box()
        self.conv = layers.Conv2D(16, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.drop = layers.Dropout(0.2)
        self.flat = layers.Flatten()
        self.out = layers.Dense(10)

    def call(self, x, training=False):
        x = self.pool(self.conv(self.box.conv(x)))
        return ops.softmax(self.out(self.drop(self.flat(x), training=training)))


def build_model():
    model = Net()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
