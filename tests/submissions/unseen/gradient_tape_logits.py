"""CIFAR-10 with a custom training loop (GradientTape), as shown in lecture 7."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
y_train = y_train.astype("int64")
y_test = y_test.astype("int64")
print(x_train.shape, y_train.shape)


class SmallCNN(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(32, 3, padding="same", activation="relu")
        self.pool1 = layers.MaxPooling2D()
        self.conv2 = layers.Conv2D(64, 3, padding="same", activation="relu")
        self.pool2 = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.dropout = layers.Dropout(0.3)
        self.dense = layers.Dense(10)  # logits, softmax is in the loss

    def call(self, x, training=False):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))
        x = self.flatten(x)
        x = self.dropout(x, training=training)
        return self.dense(x)


model = SmallCNN()
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(1e-3)

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(1024).batch(64)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for epoch in range(2):
    for step, (xb, yb) in enumerate(train_ds):
        loss = train_step(xb, yb)
        if step % 5 == 0:
            print(f"epoch {epoch} step {step} loss {float(loss):.4f}")
        if step + 1 >= 20:  # quick run
            break

# accuracy on the test set
logits = model(x_test[:1000], training=False)
pred = np.argmax(logits.numpy(), axis=1)
print("test acc (first 1000):", np.mean(pred == y_test[:1000, 0]))
