"""A functional CNN with a linear output and from_logits=True: correct."""

import keras
from keras import layers


def build_model():
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.Dropout(0.2)(layers.Flatten()(x))
    model = keras.Model(inputs, layers.Dense(10)(x))
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model
