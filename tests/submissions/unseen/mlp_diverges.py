# Baseline: fully-connected network on raw CIFAR-10 pixels
import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()

# flatten the images into vectors of 32*32*3 = 3072
x_train = x_train.reshape(len(x_train), -1).astype('float32')
x_test = x_test.reshape(len(x_test), -1).astype('float32')
print("x_train:", x_train.shape)

model = keras.Sequential([
    keras.Input((3072,)),
    layers.Dense(512, activation='relu'),
    layers.Dense(256, activation='relu'),
    layers.Dense(10, activation='softmax'),
])

model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),  # big lr to learn fast
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

history = model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)
print(pd.DataFrame(history.history))

score = model.evaluate(x_test, y_test)
print("Test loss / accuracy:", score)
