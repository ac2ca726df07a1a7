# Two conventions in one network: Keras 1's Convolution2D(filters, rows, cols) means a
# rows x cols kernel; today's Conv2D(filters, 3, 3) means a 3 x 3 kernel with stride 3.
from keras.models import Sequential
from keras.layers import Convolution2D, Conv2D, MaxPooling2D, Flatten, Dense, Dropout


def build_model():
    model = Sequential()
    model.add(Convolution2D(32, 3, 3, border_mode='same', input_shape=(32, 32, 3), activation='relu'))
    model.add(Conv2D(64, 3, 3, padding='same', activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(10, activation='softmax'))
    model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model
