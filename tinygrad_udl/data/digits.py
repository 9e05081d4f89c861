"""scikit-learn's 8×8 handwritten digits: a real image set that ships inside a package (no download).

1,797 grey-scale images of the digits 0-9 (UCI's optical recognition set, as scikit-learn ships it),
8×8 pixels with integer intensities 0-16. The image models of chapters 12 and 14-18 train on it:
`load_digits()` returns them as float32 images in [0, 1] of shape (N, 1, 8, 8) (the channel-first
layout of `nn.Conv2d`) and int64 labels, split into training and test sets with a fixed seed.
"""
from __future__ import annotations

import functools

import numpy as np

from .loader import train_test_split

__all__ = ["load_digits"]


@functools.cache
def _raw_digits():
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, which ships the 8×8 digits: "
                          "pip install 'tinygrad_udl[images]'") from None
    data = sklearn_digits()
    return data.images.astype(np.float32) / 16.0, data.target.astype(np.int64)


def load_digits(test_fraction=0.2, rng=0):
    """(x_train, y_train), (x_test, y_test): images (N, 1, 8, 8) in [0, 1], labels 0-9, split by a
    seeded shuffle (`rng`: an int seed or a numpy Generator; the default gives every run the same split)."""
    images, labels = _raw_digits()
    x_train, x_test, y_train, y_test = train_test_split(images[:, None], labels, test_fraction=test_fraction, rng=rng)
    return (x_train, y_train), (x_test, y_test)
