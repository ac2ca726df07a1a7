"""A free-form script with a subclassed model, trained at module level for 30 epochs."""
import keras
from keras import layers
from keras.datasets import cifar10


class SmallNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(16, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.conv2 = layers.Conv2D(32, 3, activation="relu")
        self.flat = layers.Flatten()
        self.drop = layers.Dropout(0.2)
        self.out = layers.Dense(10)

    def call(self, x, training=False):
        x = self.pool(self.conv1(x))
        x = self.flat(self.conv2(x))
        return self.out(self.drop(x, training=training))


(x_train, y_train), (x_test, y_test) = cifar10.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
net = SmallNet()
net.compile(optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"])
net.fit(x_train, y_train, epochs=30, batch_size=32)
print("test accuracy", net.evaluate(x_test, y_test)[1])
