"""SciPy's removed image helpers (scipy.misc.imresize, imread, imsave, toimage,
bytescale), rebuilt on Pillow with SciPy 1.2's documented behaviour, for old code."""

from __future__ import annotations

import numpy as np

_RESAMPLE = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "cubic": 3}


def bytescale(data, cmin=None, cmax=None, high=255, low=0) -> np.ndarray:
    """uint8 data as is; anything else scaled linearly from [cmin, cmax] to [low, high]."""
    data = np.asarray(data)
    if data.dtype == np.uint8:
        return data
    cmin = data.min() if cmin is None else cmin
    cmax = data.max() if cmax is None else cmax
    scale = float(high - low) / ((cmax - cmin) or 1)
    return ((data.astype(np.float64) - cmin) * scale + low).clip(low, high).round().astype(np.uint8)


def toimage(arr, *args, **kwargs):
    from PIL import Image

    return Image.fromarray(bytescale(arr))


def imresize(arr, size, interp="bilinear", mode=None) -> np.ndarray:
    """size: a percentage (int), a fraction (float) or (height, width)."""
    image = toimage(arr)
    if isinstance(size, (int, np.integer)):
        size = tuple(int(s * size / 100) for s in np.shape(arr)[:2])
    elif isinstance(size, float):
        size = tuple(int(s * size) for s in np.shape(arr)[:2])
    height, width = int(size[0]), int(size[1])
    return np.asarray(image.resize((width, height), _RESAMPLE.get(interp, 2)))


def imread(name, flatten=False, mode=None) -> np.ndarray:
    from PIL import Image

    image = Image.open(name)
    return np.asarray(image.convert("F" if flatten else (mode or image.mode)))


def imsave(name, arr, format=None) -> None:
    toimage(arr).save(name, format=format)
