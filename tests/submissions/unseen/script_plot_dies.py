"""CIFAR-10 CNN - Assignment 2

Trains a small convolutional network on CIFAR-10 and reports test accuracy.
Run with:  python script_plot_dies.py
"""
import numpy as np
import matplotlib.pyplot as plt
from tensorflow import keras
from tensorflow.keras import layers

# ---- constants ----
NUM_CLASSES = 10
EPOCHS = 10
BATCH_SIZE = 64
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]

# ---- data ----
(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
print("train:", x_train.shape, y_train.shape)
print("test: ", x_test.shape, y_test.shape)

# quick look at the class balance
class_counts = np.bincount(y_train)
plt.bar(range(NUM_CLASSES), class_counts)
plt.xticks(range(NUM_CLASSES), CLASS_NAMES, rotation=45)
plt.title("images per class")
plt.show()

# scale pixels to [0, 1]
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0

# ---- model ----
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(64, (3, 3), activation="relu"),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(NUM_CLASSES, activation="softmax"),
])
model.summary()

model.compile(optimizer="adam",
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE,
                    validation_split=0.1)

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
print("Test accuracy:", test_acc)
