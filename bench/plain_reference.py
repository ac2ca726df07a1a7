"""The same work as grading the reference, with nothing around it: import TensorFlow,
load CIFAR-10, train the reference model 3 epochs on 5000 images, predict the test set.

Usage: python bench/plain_reference.py DATA_DIR
"""

import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference" / "cifar10_cnn"))


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open("rb") as f:
        batch = pickle.load(f, encoding="bytes")
    images = np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch[b"labels"], np.uint8)


def main(data: Path) -> None:
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(2)
    from solution import build_model, preprocess

    folder = data / "cifar-10-batches-py"
    parts = [load(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])[:5000]
    y_train = np.concatenate([p[1] for p in parts])[:5000]
    x_test, y_test = load(folder / "test_batch")
    keras.utils.set_random_seed(1234)
    model = build_model()
    model.fit(preprocess(x_train), y_train, epochs=3, batch_size=64, verbose=0)
    predictions = model.predict(preprocess(x_test), batch_size=256, verbose=0)
    print(f"accuracy {np.mean(predictions.argmax(1) == y_test):.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
