# Hyperparameter tuning for the CIFAR-10 CNN with KerasTuner (Hyperband)
# following https://www.tensorflow.org/tutorials/keras/keras_tuner
import numpy as np
import tensorflow as tf
from tensorflow import keras
import keras_tuner as kt
import matplotlib.pyplot as plt

(img_train, label_train), (img_test, label_test) = keras.datasets.cifar10.load_data()

# Normalize pixel values between 0 and 1
img_train = img_train.astype('float32') / 255.0
img_test = img_test.astype('float32') / 255.0


def build_model(hp):
    model = keras.Sequential()
    model.add(keras.Input(shape=(32, 32, 3)))

    # Tune the number of filters in the first conv block
    hp_filters = hp.Int('filters', min_value=16, max_value=64, step=16)
    model.add(keras.layers.Conv2D(hp_filters, 3, padding='same', activation='relu'))
    model.add(keras.layers.MaxPooling2D())
    model.add(keras.layers.Conv2D(hp_filters * 2, 3, padding='same', activation='relu'))
    model.add(keras.layers.MaxPooling2D())
    model.add(keras.layers.Conv2D(hp_filters * 2, 3, padding='same', activation='relu'))
    model.add(keras.layers.GlobalAveragePooling2D())

    # Tune the number of units in the first Dense layer
    hp_units = hp.Int('units', min_value=32, max_value=256, step=32)
    model.add(keras.layers.Dense(units=hp_units, activation='relu'))
    model.add(keras.layers.Dropout(0.3))
    model.add(keras.layers.Dense(10))

    # Tune the learning rate for the optimizer
    hp_learning_rate = hp.Choice('learning_rate', values=[1e-2, 1e-3, 1e-4])

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=hp_learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model


tuner = kt.Hyperband(build_model,
                     objective='val_accuracy',
                     max_epochs=30,
                     factor=3,
                     directory='my_dir',
                     project_name='cifar10_hyperband')

stop_early = tf.keras.callbacks.EarlyStopping(monitor='val_loss', patience=5)

tuner.search(img_train, label_train, epochs=50, validation_split=0.2, callbacks=[stop_early])

# Get the optimal hyperparameters
best_hps = tuner.get_best_hyperparameters(num_trials=1)[0]

print(f"""
The hyperparameter search is complete. The optimal number of filters is {best_hps.get('filters')},
units in the dense layer {best_hps.get('units')} and the optimal learning rate for the optimizer
is {best_hps.get('learning_rate')}.
""")

# Build the model with the optimal hyperparameters and train it on the data for 50 epochs
model = tuner.hypermodel.build(best_hps)
history = model.fit(img_train, label_train, epochs=50, batch_size=64, validation_split=0.2)

val_acc_per_epoch = history.history['val_accuracy']
best_epoch = val_acc_per_epoch.index(max(val_acc_per_epoch)) + 1
print('Best epoch: %d' % (best_epoch,))

plt.plot(history.history['accuracy'], label='train')
plt.plot(val_acc_per_epoch, label='val')
plt.legend()
plt.title('refit with best hyperparameters')
plt.show()

eval_result = model.evaluate(img_test, label_test)
print("[test loss, test accuracy]:", eval_result)
