"""Assignment 2: CIFAR-10 CNN (bigger dense layer version)."""
import numpy as np
import matplotlib.pyplot as plt
from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
x_train = x_train / 255.0
x_test = x_test / 255.0

# Parameter count (worked out by hand, matches model.summary()):
#   Conv2D(32, 3) on 3 channels : 3*3*3*32 + 32       =     896
#   Conv2D(64, 3) on 32 channels: 3*3*32*64 + 64      =  18,496
#   MaxPooling -> 16x16x64, Flatten -> 16*16*64       =  16,384 features
#   Dense(320)                  : 16384*320 + 320     = 5,243,200
#   Dense(10)                   : 320*10 + 10         =   3,210
#   total                                             = 5,265,802  (~5.27M)
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(32, 3, padding='same', activation='relu'),
    layers.Conv2D(64, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(320, activation='relu'),
    layers.Dropout(0.5),
    layers.Dense(10, activation='softmax'),
])
model.summary()
print("params:", model.count_params())

model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
history = model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)

plt.plot(history.history['loss'], label='loss')
plt.plot(history.history['val_loss'], label='val_loss')
plt.legend()
plt.show()

print("test:", model.evaluate(x_test, y_test, verbose=0))
