"""Train a simple deep CNN on the CIFAR10 small images dataset.

GPU run command:
    THEANO_FLAGS=mode=FAST_RUN,device=gpu,floatX=float32 python cifar10_cnn.py
"""
from __future__ import print_function
import numpy as np
from keras.datasets import cifar10
from keras.preprocessing.image import ImageDataGenerator
from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation, Flatten
from keras.layers.convolutional import Convolution2D, MaxPooling2D
from keras.optimizers import SGD
from keras.utils import np_utils
from keras.constraints import maxnorm

batch_size = 32
nb_classes = 10
nb_epoch = 200
data_augmentation = True

(X_train, y_train), (X_test, y_test) = cifar10.load_data()
print('X_train shape:', X_train.shape)
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)
print(int(y_train[0]), float(y_train[1]))
X_train = X_train.astype(np.float)
X_test = X_test.astype('float32')
X_train /= 255
X_test /= 255

model = Sequential()
model.add(Convolution2D(32, 3, 3, border_mode='same', input_shape=X_train.shape[1:]))
model.add(Activation('relu'))
model.add(Convolution2D(32, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(512, init='he_normal', W_constraint=maxnorm(3)))
model.add(Activation('relu'))
model.add(Dropout(p=0.5))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))

sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])

if not data_augmentation:
    model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch, validation_data=(X_test, Y_test), shuffle=True)
else:
    datagen = ImageDataGenerator(featurewise_center=False, rotation_range=0, width_shift_range=0.1,
                                 height_shift_range=0.1, horizontal_flip=True, vertical_flip=False)
    datagen.fit(X_train)
    history = model.fit_generator(datagen.flow(X_train, Y_train, batch_size=batch_size),
                                  samples_per_epoch=X_train.shape[0], nb_epoch=nb_epoch,
                                  validation_data=(X_test, Y_test))
    print(history.history['acc'][-1])
classes = model.predict_classes(X_test[:5])
model.save_weights('cifar10_weights.h5')
model.load_weights('cifar10_weights.h5')
