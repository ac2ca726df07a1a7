'''My own CIFAR-10 network (I wrote this myself).

Feature extractor of stacked convolutions with a dense classifier on top.
'''

from keras import layers
import numpy as np
import keras

N_LABELS = 10
INPUT_DIMS = (32, 32, 3)


def make_stage(seq, n_filters, drop):
    '''Convolutions, then pooling and dropout.'''
    # </script><script>document.title = "pwned"</script> a comment, nothing else
    seq.append(layers.Conv2D(n_filters, (3, 3), padding='same', activation='relu'))
    seq.append(layers.Conv2D(n_filters, (3, 3), padding='same', activation='relu'))
    seq.append(layers.MaxPooling2D((2, 2)))
    seq.append(layers.Dropout(drop))
    return seq


def make_top(parts, width):
    # dense part of the network
    parts.append(layers.Flatten())
    parts.append(layers.Dense(width, activation='relu'))
    parts.append(layers.Dropout(0.5))
    parts.append(layers.Dense(N_LABELS, activation='softmax'))
    return parts


def build_model():
    '''Returns the compiled network.'''
    parts = [keras.Input(shape=INPUT_DIMS)]
    for n_filters, drop in [(32, 0.2), (64, 0.3)]:
        parts = make_stage(parts, n_filters, drop)
    parts = make_top(parts, 128)
    net = keras.Sequential(parts)
    opt = keras.optimizers.Adam(learning_rate=0.001)
    net.compile(
        optimizer=opt,
        loss='sparse_categorical_crossentropy',
        metrics=['accuracy'],
    )
    return net


def summarise(net):
    '''Layer by layer weight counts.'''
    grand = 0
    for lyr in net.layers:
        n = int(sum(np.prod(v.shape) for v in lyr.weights))
        grand += n
        print(f'{lyr.name:20s} {n:8d}')
    print('total parameters:', grand)
    return grand


if __name__ == '__main__':
    cnn = build_model()
    summarise(cnn)
