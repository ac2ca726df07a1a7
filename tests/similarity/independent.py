"""Functional-API CNN with batch normalisation, written for the CIFAR-10 assignment."""

import tensorflow as tf
from tensorflow import keras


def preprocess(images):
    """Scale to [-1, 1] instead of [0, 1]."""
    return images.astype("float32") / 127.5 - 1.0


def build_model():
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.layers.Conv2D(24, 5, padding="valid")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("elu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(48, 3, strides=2)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("elu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.4)(x)
    outputs = keras.layers.Dense(10)(x)
    model = keras.Model(inputs, outputs, name="small_functional_cnn")
    model.compile(
        optimizer=tf.keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


if __name__ == "__main__":
    build_model().summary()
