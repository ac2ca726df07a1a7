"""build_model() forgets to compile."""
import keras
from keras import layers


def build_model():
    return keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 3), layers.Flatten(),
                             layers.Dense(10, activation="softmax")])
