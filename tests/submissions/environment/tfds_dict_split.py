# CIFAR-10 CNN -- HW3
# Loading the data with tensorflow_datasets instead of keras.datasets
# (TA said either is fine). Functional API this time.

import numpy as np
import matplotlib.pyplot as plt
import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow import keras
from tensorflow.keras import layers

BATCH_SIZE = 64
EPOCHS = 15

# no split -> returns a dict {'train': ds, 'test': ds}
ds = tfds.load('cifar10')
print(ds.keys())
print(ds['train'].element_spec)

# quick look at a few examples (each element is a dict with 'image' and 'label')
class_names = ['airplane', 'automobile', 'bird', 'cat', 'deer',
               'dog', 'frog', 'horse', 'ship', 'truck']
plt.figure(figsize=(8, 4))
for i, ex in enumerate(tfds.as_numpy(ds['train'].take(8))):
    plt.subplot(2, 4, i + 1)
    plt.imshow(ex['image'])
    plt.title(class_names[int(ex['label'])])
    plt.axis('off')
plt.tight_layout()
plt.show()


def to_float(ex):
    return tf.cast(ex['image'], tf.float32) / 255., ex['label']


# second load: hold out the last 10% of train for validation
train_split = tfds.load('cifar10', split='train[:90%]')
val_split = tfds.load('cifar10', split='train[90%:]')

train_ds = (train_split.map(lambda ex: (tf.cast(ex['image'], tf.float32) / 255., ex['label']))
            .shuffle(10000)
            .batch(BATCH_SIZE)
            .prefetch(tf.data.AUTOTUNE))
val_ds = val_split.map(to_float).batch(BATCH_SIZE)
test_ds = ds['test'].batch(BATCH_SIZE).map(lambda ex: (tf.cast(ex['image'], tf.float32) / 255., ex['label']))

# sanity check the shapes
for xb, yb in train_ds.take(1):
    print(xb.shape, xb.dtype, yb.shape, yb.dtype, float(tf.reduce_max(xb)))

# ---- model (functional API) ----
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, padding='same', activation='relu')(inputs)
x = layers.Conv2D(32, 3, padding='same', activation='relu')(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, padding='same', activation='relu')(x)
x = layers.Conv2D(64, 3, padding='same', activation='relu')(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(128, 3, padding='same', activation='relu')(x)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.3)(x)
x = layers.Dense(64, activation='relu')(x)
outputs = layers.Dense(10, activation='softmax')(x)
model = keras.Model(inputs, outputs, name='cifar_cnn')
model.summary()

model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

history = model.fit(train_ds, epochs=EPOCHS, validation_data=val_ds)

plt.plot(history.history['accuracy'], label='train')
plt.plot(history.history['val_accuracy'], label='val')
plt.legend()
plt.xlabel('epoch')
plt.show()

test_loss, test_acc = model.evaluate(test_ds)
print('test accuracy:', test_acc)
