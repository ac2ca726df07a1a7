# Homework 3 -- CIFAR-10.  Written from the lecture notes, step by step.
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense, Input
from keras.optimizers import Adam


def build_model():
    cnn = Sequential()
    cnn.add(Input(shape=(32, 32, 3)))
    # first block
    cnn.add(Conv2D(32, 3, padding="same", activation="relu"))
    cnn.add(Conv2D(32, 3, padding="same", activation="relu"))
    cnn.add(MaxPooling2D(2))
    cnn.add(Dropout(0.2))
    # second block
    cnn.add(Conv2D(64, 3, padding="same", activation="relu"))
    cnn.add(Conv2D(64, 3, padding="same", activation="relu"))
    cnn.add(MaxPooling2D(2))
    cnn.add(Dropout(0.3))
    # classifier
    cnn.add(Flatten())
    cnn.add(Dense(128, activation="relu"))
    cnn.add(Dropout(0.5))
    cnn.add(Dense(10, activation="softmax"))
    cnn.compile(optimizer=Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return cnn
