"""Random-generator and argument checks shared by the data modules.

The book's experiments need *explicit* seeded randomness (batches, noise, augmentation): every
random function in this package takes a numpy `Generator`, or an int seed where a fresh,
reproducible stream is what the caller wants.
"""
from __future__ import annotations

import operator

import numpy as np


def as_generator(rng, where: str) -> np.random.Generator:
    """Turn `rng` (a numpy Generator or an int seed) into a Generator.

    `where` names the calling function in the error message.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{where}: the seed must be a non-negative int, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)) or an int seed, "
        f"got {type(rng).__name__}"
    )


def check_int(value, name: str, where: str, minimum: int) -> int:
    """`value` as a Python int, rejecting floats, bools and values below `minimum`."""
    if isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be an int, got a bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}") from None
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
