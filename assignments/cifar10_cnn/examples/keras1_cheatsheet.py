"""Written from the course's Keras 1 cheatsheet: Dense(output_dim=...) fails in Keras 3."""

from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential


def build_model():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(output_dim=128, activation="relu"))
    model.add(Dense(output_dim=10, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
