"""Creation functions: zeros, ones, full, arange, linspace, eye, the random draws (randn, rand,
uniform), their `*_like` forms, one_hot and from_numpy.

Python data and these functions take the default float dtype unless `dtype` says otherwise; the
random draws come from the library's generator (`manual_seed`) unless `rng` is given (defaults.py).
"""
from __future__ import annotations

import numpy as np

from .defaults import default_rng, get_default_dtype
from .operands import _raw, _to_array
from .shapes import _shape_arg
from .tensor import Tensor


def _dt(dtype):
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def _size(shape):
    return _shape_arg(shape)


def zeros(*shape, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return Tensor(np.ones(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def full(shape, value, dtype=None, requires_grad=False):
    return Tensor(np.full(shape, value, _dt(dtype)), requires_grad=requires_grad)


def arange(*args, dtype=None, requires_grad=False):
    """numpy's arange, in the default float dtype unless `dtype` says otherwise."""
    return Tensor(np.arange(*args, dtype=_dt(dtype)), requires_grad=requires_grad)


def linspace(start, stop, num=50, dtype=None, requires_grad=False):
    return Tensor(np.linspace(start, stop, num, dtype=_dt(dtype)), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return Tensor(np.eye(n, m, dtype=_dt(dtype)), requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad=False, rng=None):
    """Standard normal samples from `rng` (default: the generator seeded by manual_seed)."""
    return Tensor((rng or default_rng()).standard_normal(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False, rng=None):
    """Uniform samples on [0, 1)."""
    return Tensor((rng or default_rng()).random(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def uniform(low, high, shape, dtype=None, requires_grad=False, rng=None):
    return Tensor((rng or default_rng()).uniform(low, high, shape).astype(_dt(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, value, dtype=None, requires_grad=False):
    return full(t.shape, value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False, rng=None):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, rng=rng)


def rand_like(t, dtype=None, requires_grad=False, rng=None):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, rng=rng)


def one_hot(labels, num_classes, dtype=None):
    """Rows of the identity for integer labels 0..num_classes-1 (a constant)."""
    labels = np.asarray(_raw(labels))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in 0..{num_classes - 1}, got values from {labels.min()} to {labels.max()}")
    return Tensor._wrap(np.eye(num_classes, dtype=dtype or get_default_dtype())[labels])


def from_numpy(array):
    """A Tensor that shares `array`'s memory (PyTorch's from_numpy): writes to either show in the
    other. `Tensor(array)` copies instead."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return Tensor._wrap(_to_array(array, None) if array.dtype.kind not in "biuf" else array)
