"""The library-wide defaults: the float dtype that Python data and creation functions get, and the
random generator behind randn/rand/uniform (and the library's other random draws).

They live in a module of their own because the Tensor constructor (`tensor.py`) and the creation
functions (`creation.py`) both read them.
"""
from __future__ import annotations

import numpy as np

_default_dtype = np.dtype(np.float32)
_rng = np.random.default_rng()


def set_default_dtype(dtype):
    """Set the float dtype that Python data and creation functions get (float32 or float64)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: {dtype} is not a floating-point dtype; use float32 or float64")
    _default_dtype = dtype


def get_default_dtype():
    return _default_dtype


def manual_seed(seed):
    """Seed the generator behind randn/rand/uniform (and the library's other random draws)."""
    global _rng
    _rng = np.random.default_rng(seed)


def default_rng():
    """The library's current numpy Generator (for code that takes an optional `rng=`)."""
    return _rng
