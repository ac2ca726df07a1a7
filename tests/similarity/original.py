"""CIFAR-10 homework: a small VGG-style network.

Two convolution blocks, each followed by pooling and dropout, then a dense head.
"""

import keras
import numpy as np
from keras import layers

NUM_CLASSES = 10
IMAGE_SHAPE = (32, 32, 3)


def conv_block(inputs_list, filters, dropout_rate):
    """Two 3x3 convolutions, a max pooling and a dropout."""
    inputs_list.append(layers.Conv2D(filters, (3, 3), padding="same", activation="relu"))
    inputs_list.append(layers.Conv2D(filters, (3, 3), padding="same", activation="relu"))
    inputs_list.append(layers.MaxPooling2D((2, 2)))
    inputs_list.append(layers.Dropout(dropout_rate))
    return inputs_list


def classifier_head(stack, hidden_units):
    # flatten the feature maps and classify
    stack.append(layers.Flatten())
    stack.append(layers.Dense(hidden_units, activation="relu"))
    stack.append(layers.Dropout(0.5))
    stack.append(layers.Dense(NUM_CLASSES, activation="softmax"))
    return stack


def build_model():
    """The model the grader trains."""
    stack = [keras.Input(shape=IMAGE_SHAPE)]
    for filters, rate in [(32, 0.2), (64, 0.3)]:
        stack = conv_block(stack, filters, rate)
    stack = classifier_head(stack, 128)
    model = keras.Sequential(stack)
    optimizer = keras.optimizers.Adam(learning_rate=0.001)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def describe(model):
    """Print the layers and how many weights each has."""
    total = 0
    for layer in model.layers:
        count = int(sum(np.prod(w.shape) for w in layer.weights))
        total += count
        print(f"{layer.name:20s} {count:8d}")
    print("total parameters:", total)
    return total


if __name__ == "__main__":
    net = build_model()
    describe(net)
