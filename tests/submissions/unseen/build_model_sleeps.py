"""CIFAR-10 assignment: build_model() for the autograder.

I fine-tune from weights I pretrained on my own machine, so build_model()
waits for them to be synced into the working directory before loading.
"""
import os
import time

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

WEIGHTS_FLAG = "weights_ready.flag"
WEIGHTS_FILE = "my_cifar_cnn.weights.h5"
NUM_CLASSES = 10


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])

    # wait for the pretrained weights to sync from Drive
    print("waiting for", WEIGHTS_FLAG, "...")
    while not os.path.exists(WEIGHTS_FLAG):
        time.sleep(1)

    model.load_weights(WEIGHTS_FILE)
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
