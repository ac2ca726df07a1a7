# CIFAR-10 CNN: I reuse VGG16's preprocessing so I can swap in the pretrained base later
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.applications.vgg16 import preprocess_input

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()

# "caffe" mode: RGB -> BGR, ImageNet channel means subtracted, no scaling
x_train = preprocess_input(x_train.astype("float32"))
x_test = preprocess_input(x_test.astype("float32"))
print("input range:", x_train.min(), x_train.max())

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Rescaling(1 / 128.0),  # the inputs are roughly -128..151
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Dropout(0.25),
    layers.Conv2D(64, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=64, validation_data=(x_test, y_test))
print(model.evaluate(x_test, y_test))
