# Transfer learning the way students write it: a frozen MobileNetV2 with ImageNet weights.
import keras
from keras import layers
from keras.datasets import cifar10

(x_train, y_train), (x_test, y_test) = cifar10.load_data()
x_train = x_train / 255.0
x_test = x_test / 255.0

base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights="imagenet")
base.trainable = False

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    base,
    layers.GlobalAveragePooling2D(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_data=(x_test, y_test))
print(model.evaluate(x_test, y_test))
