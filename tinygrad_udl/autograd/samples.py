"""Sample inputs for the op sweep, declared with each primitive (`primitive(..., sample=...)`).

A sample is a function `rng -> (arrays, params)`: float64 inputs inside the primitive's domain and
away from its kinks (ReLU and |x| away from 0, max/min without ties, logs of positive numbers), and
its non-differentiable parameters. The builders here keep each declaration to one line:

    sample=inputs(normal(3, 4), normal(4))                    # broadcasting: (3, 4) against (4,)
    sample=inputs(normal(2, 3, 4), axis=(0, 2), keepdims=False)

Any function `rng -> (arrays, params)` works too, for inputs that depend on each other.
"""
from __future__ import annotations

import numpy as np


def inputs(*arrays, **params):
    """A sample from array builders (`rng -> array`) and parameters (values, or `rng -> value`)."""
    def sample(rng):
        return ([make(rng) for make in arrays],
                {k: v(rng) if callable(v) else v for k, v in params.items()})
    return sample


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def away_from_zero(*shape, low=0.2):
    """Values of both signs with |x| >= low: no kink of relu/abs/sign within a step."""
    return lambda rng: rng.uniform(low, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(*shape):
    """Values with no two elements close: max/min/sort have a unique order."""
    n = int(np.prod(shape))
    return lambda rng: (rng.permutation(n) * 0.37 + rng.uniform(-0.1, 0.1, n)).reshape(shape) / max(n, 1)


def spd(*shape):
    """Symmetric positive-definite matrices A Aᵀ + n·I (well conditioned), batched over leading axes."""
    n = shape[-1]

    def make(rng):
        a = rng.standard_normal(shape)
        return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return make


def well_conditioned(*shape):
    """Square matrices n·I + noise: far from singular, so inverses and solves are stable."""
    n = shape[-1]
    return lambda rng: rng.standard_normal(shape) * 0.5 + n * np.eye(n) / 2
