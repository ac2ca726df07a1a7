"""Allocates memory until something stops it (bounded: at most 12 GB)."""

import numpy as np

hog = [np.ones(100 * 2**20, dtype=np.uint8) for _ in range(120)]
