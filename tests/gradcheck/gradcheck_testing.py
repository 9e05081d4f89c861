"""Shared helpers for the gradient-checker tests: a duck-typed module and wrong primitives.

Expected values in these tests come from closed forms written here, never from the checker.
"""
import contextlib

import numpy as np

from tinygrad_udl import Tensor
from tinygrad_udl.autograd.rules import Primitive


class TwoLayerNet:
    """A float32 network with PyTorch-style parameter names, duck-typed as an nn.Module."""

    def __init__(self, seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.w0 = Tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)
        self.b0 = Tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
        self.w1 = Tensor(rng.standard_normal((2, 4)).astype(dtype), requires_grad=True)

    def named_parameters(self):
        yield "layers.0.weight", self.w0
        yield "layers.0.bias", self.b0
        yield "layers.1.weight", self.w1

    def __call__(self, x):
        return (x @ self.w0.T + self.b0).tanh() @ self.w1.T


@contextlib.contextmanager
def wrong_vjp(prim, factor=1.001):
    """Scale every VJP of `prim` by `factor` (0.1 % wrong by default); restored on exit."""
    saved = prim.vjps
    prim.vjps = tuple((lambda vjp: lambda *a, **k: vjp(*a, **k) * factor)(v) for v in saved)
    try:
        yield
    finally:
        prim.vjps = saved


def _square_vjp_wrong_at(index, factor):
    def vjp(o, g, out, x):
        grad = g * 2 * x
        if isinstance(grad, np.ndarray):  # raw mode: only element `index` is wrong
            grad = grad.copy()
            grad.flat[index] *= factor
        return grad
    return vjp


def square_wrong_at(index, factor=1.001):
    """x**2 as an unregistered primitive whose VJP is wrong in one element only."""
    return Primitive("square_wrong_at", lambda o, x: x * x, (_square_vjp_wrong_at(index, factor),))


def signed_uniform(rng, shape, low=0.5, high=1.5):
    """Values with |x| in [low, high]: well away from 0 (no kinks, no tiny gradients)."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)

