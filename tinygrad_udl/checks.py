"""Argument checks shared across the library: random generators and integer arguments.

The book's experiments need explicit, seeded randomness (batches, noise, initialisation, dropout
masks): every random function takes `rng`, and `as_generator` is the one place that says what an
`rng` argument may be.
"""
from __future__ import annotations

import operator

import numpy as np

from .autograd.tensor import default_rng


def as_generator(rng, where: str) -> np.random.Generator:
    """`rng` as a numpy Generator: a Generator is used as is (its stream is consumed), an int is a
    seed for a fresh Generator, and None means the library's generator (`manual_seed`)."""
    if rng is None:
        return default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{where}: the seed must be a non-negative int, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)), an int seed or None, "
                    f"got {type(rng).__name__}")


def optional_generator(rng, where: str):
    """Like `as_generator`, but None stays None: the caller then draws from the library generator at
    use time, so a later `manual_seed` still applies (a layer's dropout masks, for instance)."""
    return None if rng is None else as_generator(rng, where)


def check_int(value, name: str, where: str, minimum: int) -> int:
    """`value` as a Python int, rejecting floats, bools and values below `minimum`."""
    if isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be an int, got a bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__} {value!r:.40}") from None
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value}")
    return value


def check_nonnegative(value, name: str, where: str) -> float:
    """`value` as a finite float >= 0 (a noise level or an augmentation strength)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be a number, got {type(value).__name__}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value}")
    return value
