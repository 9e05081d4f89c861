"""The data the generative chapters share, as zoo `Split`s: placeholder targets for models that learn
from examples alone, and scikit-learn's 8×8 digits in [−1, 1], which the DCGAN (chapter 15) and the
diffusion model (chapter 18) both learn.
"""
from __future__ import annotations

import functools

import numpy as np

from ...data import load_digits
from ..tasks import Split


def unlabelled(x, label_dtype=np.int64):
    """(x as float32, zeros of `label_dtype`): a model that learns from the examples alone has
    placeholder targets, which no loss reads."""
    return np.asarray(x, np.float32), np.zeros(len(x), label_dtype)


def to_tanh_range(images):
    """Pixels in [0, 1] to [−1, 1] (x ↦ 2x − 1), float32: the range of the DCGAN generator's tanh
    output (section 15.1.3), and the scale of the noise ε a diffusion model mixes the data with."""
    return 2.0 * np.asarray(images, np.float32) - 1.0


def to_unit_range(images):
    """The inverse of `to_tanh_range`."""
    return (np.asarray(images, np.float32) + 1.0) / 2.0


@functools.cache
def tanh_range_digits() -> Split:
    """scikit-learn's 8×8 digits (`data.load_digits`'s seeded split: 1,438 training and 359 test
    images (N, 1, 8, 8)) scaled to [−1, 1], labelled 0-9."""
    (x_train, y_train), (x_test, y_test) = load_digits()
    return Split((to_tanh_range(x_train), y_train), (to_tanh_range(x_test), y_test))
