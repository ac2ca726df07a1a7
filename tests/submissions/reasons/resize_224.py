# "Transfer learning wants 224x224": the whole training set resized at once.
import tensorflow as tf
from tensorflow import keras

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
x_train = tf.image.resize(x_train, (224, 224)).numpy() / 255.0
x_test = tf.image.resize(x_test, (224, 224)).numpy() / 255.0

model = keras.Sequential([
    keras.Input((224, 224, 3)),
    keras.layers.Conv2D(16, 3, activation="relu"),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5)
