"""Written from the course's Keras 1 cheatsheet: Convolution2D(filters, rows, cols),
border_mode, output_dim, lr. Today's Keras takes none of them; the grader translates each
(README, "Old Keras, NumPy and SciPy code"), grades the network and lists what to write."""

from keras.layers import Convolution2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.optimizers import Adam


def build_model():
    model = Sequential()
    model.add(Convolution2D(32, 3, 3, border_mode="same", activation="relu", input_shape=(32, 32, 3)))
    model.add(Convolution2D(32, 3, 3, activation="relu"))
    model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(output_dim=128, activation="relu"))
    model.add(Dense(output_dim=10, activation="softmax"))
    model.compile(optimizer=Adam(lr=0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    return model
