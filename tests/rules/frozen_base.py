"""Transfer learning: a frozen MobileNetV2 base (no downloaded weights) inside a Sequential."""

import keras
from keras import layers


def build_model():
    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.trainable = False
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            base,
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
