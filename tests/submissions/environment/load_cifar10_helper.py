"""
CIFAR-10 convnet.
Data loader adapted from the cs231n data_utils.py (assignment 1).
The keras download already unpacked the python batches into ~/.keras/datasets,
so I just point ROOT there.
"""
import os
import pickle
import numpy as np
import matplotlib.pyplot as plt
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def load_CIFAR_batch(filename):
    """ load single batch of cifar """
    with open(filename, 'rb') as f:
        datadict = pickle.load(f, encoding='latin1')
        X = datadict['data']
        Y = datadict['labels']
        X = X.reshape(10000, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
        Y = np.array(Y)
        return X, Y


def load_CIFAR10(ROOT):
    """ load all of cifar """
    xs = []
    ys = []
    for b in range(1, 6):
        f = os.path.join(ROOT, 'data_batch_%d' % (b, ))
        X, Y = load_CIFAR_batch(f)
        xs.append(X)
        ys.append(Y)
    Xtr = np.concatenate(xs)
    Ytr = np.concatenate(ys)
    del X, Y
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, 'test_batch'))
    return Xtr, Ytr, Xte, Yte


ROOT = os.path.expanduser('~/.keras/datasets/cifar-10-batches-py')
X_train, y_train, X_test, y_test = load_CIFAR10(ROOT)

# As a sanity check, we print out the size of the training and test data.
print('Training data shape: ', X_train.shape)
print('Training labels shape: ', y_train.shape)
print('Test data shape: ', X_test.shape)
print('Test labels shape: ', y_test.shape)

# Visualize some examples from the dataset.
classes = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
num_classes = len(classes)
samples_per_class = 5
for y, cls in enumerate(classes):
    idxs = np.flatnonzero(y_train == y)
    idxs = np.random.choice(idxs, samples_per_class, replace=False)
    for i, idx in enumerate(idxs):
        plt_idx = i * num_classes + y + 1
        plt.subplot(samples_per_class, num_classes, plt_idx)
        plt.imshow(X_train[idx].astype('uint8'))
        plt.axis('off')
        if i == 0:
            plt.title(cls)
plt.show()

# Preprocessing: subtract the mean image (like in the svm part of a1)
mean_image = np.mean(X_train, axis=0)
print(mean_image[:3, :3, 0])  # print a few of the elements
plt.figure(figsize=(4, 4))
plt.imshow(mean_image.astype('uint8'))  # visualize the mean image
plt.show()

X_train -= mean_image
X_test -= mean_image
# then scale down so values are roughly in [-1, 1]
X_train /= 255.0
X_test /= 255.0
X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
print(X_train.min(), X_train.max())

# ---------------- model ----------------
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(32, (3, 3), padding='same', activation='relu'),
    layers.BatchNormalization(),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(64, (3, 3), padding='same', activation='relu'),
    layers.BatchNormalization(),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(128, (3, 3), padding='same', activation='relu'),
    layers.BatchNormalization(),
    layers.MaxPooling2D((2, 2)),
    layers.Flatten(),
    layers.Dropout(0.4),
    layers.Dense(128, activation='relu'),
    layers.Dense(10, activation='softmax'),
])
model.summary()

model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-4),
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

# TODO try learning rate decay
history = model.fit(X_train, y_train, batch_size=64, epochs=20, validation_split=0.1)

plt.subplot(2, 1, 1)
plt.plot(history.history['loss'], 'o-')
plt.title('Training loss')
plt.subplot(2, 1, 2)
plt.plot(history.history['accuracy'], '-o', label='train')
plt.plot(history.history['val_accuracy'], '-o', label='val')
plt.legend()
plt.show()

test_loss, test_acc = model.evaluate(X_test, y_test, verbose=2)
print('Test accuracy: %f' % test_acc)
