# CIFAR-10 classifier -- homework 3
# Author: J. Nguyen
import numpy as np
import matplotlib.pyplot as plt
from tensorflow import keras
from tensorflow.keras import layers


def load():
    """Load CIFAR-10 and scale the pixels to [0, 1]."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    print("Loaded", len(x_train), "training and", len(x_test), "test images")
    return x_train, y_train, x_test, y_test


def make_model():
    """Small CNN: two conv blocks then a dense head. Returns a compiled model."""
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train(model, x, y, epochs=10, batch_size=64):
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size,
                        validation_split=0.1, verbose=2)
    # plot the learning curves
    plt.plot(history.history["accuracy"], label="train")
    plt.plot(history.history["val_accuracy"], label="val")
    plt.xlabel("epoch")
    plt.ylabel("accuracy")
    plt.legend()
    plt.savefig("curves.png")
    return history


if __name__ == "__main__":
    x_train, y_train, x_test, y_test = load()
    model = make_model()
    model.summary()
    train(model, x_train, y_train, epochs=10, batch_size=64)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {acc:.4f}")
