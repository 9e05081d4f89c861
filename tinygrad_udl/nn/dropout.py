"""Dropout (section 9.3.3): zero a random subset of units at each training step.

Two conventions with the same expected output (docs/conventions.md, "Dropout scaling"):

- `mode="inverted"` (default, PyTorch): while training, kept units are scaled by 1/(1 − p);
  at test time the layer is the identity.
- `mode="book"` (section 9.3.3): while training, units are only zeroed; at test time every
  unit is multiplied by (1 − p) -- the weight-scaling rule, applied to the activations, which
  is the same as scaling the weights of the next layer.

Masks are drawn from an explicit numpy Generator (`rng=`), so a training run can be repeated
exactly; without one, the library's generator (`manual_seed`) is used. For Monte Carlo dropout
(section 9.3.3) keep the dropout modules in training mode at test time (`module.train()`), or
call `dropout(x, p, training=True)`.
"""
from __future__ import annotations

from ..autograd.tensor import default_rng, tensor
from ..checks import optional_generator
from ..compile.recorder import drawn
from .module import Module

_MODES = ("inverted", "book")


def _check(p, mode, op):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: the drop probability p must lie in [0, 1], got {p}")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be 'inverted' (PyTorch) or 'book' (section 9.3.3), got {mode!r}")


def _masked(x, p, training, mode, rng, mask_shape):
    if not training:
        return x if mode == "inverted" or p == 0 else x * (1.0 - p)
    if p == 0:
        return x
    scale = 1.0 / (1.0 - p) if mode == "inverted" and p < 1 else 1.0
    # a constant mask, no gradient of its own; a recorded draw: a compiled step draws it anew at every replay
    return x * drawn(_draw_mask, rng, p, scale, mask_shape, x.dtype)


def _draw_mask(rng, p, scale, shape, dtype):
    """The mask of kept units times `scale`, drawn from `rng` (the library's generator when None,
    looked up at each call, so that manual_seed() takes effect)."""
    keep = (rng or default_rng()).random(shape) >= p
    return (keep * scale).astype(dtype)


def dropout(x, p=0.5, training=True, mode="inverted", rng=None):
    """Zero each element with probability `p` (independently); see the module docstring for `mode`."""
    _check(p, mode, "dropout")
    x = tensor(x)
    return _masked(x, p, training, mode, rng, x.shape)


def dropout_channels(x, p=0.5, training=True, mode="inverted", rng=None):
    """Zero whole channels: input (N, C, *spatial), one draw per (example, channel) (Dropout2d)."""
    _check(p, mode, "dropout_channels")
    x = tensor(x)
    if x.ndim < 2:
        raise ValueError(f"dropout_channels: expected an input (N, C, ...) with at least 2 axes, got shape {x.shape}")
    return _masked(x, p, training, mode, rng, x.shape[:2] + (1,) * (x.ndim - 2))


class Dropout(Module):
    """`Dropout(p=0.5, mode='inverted' | 'book', rng=None)`: active in training mode only.

    The book's typical p is 0.5 (section 9.3.3). `rng` is a numpy Generator (or int seed) that
    every mask is drawn from.
    """

    _fn = staticmethod(dropout)

    def __init__(self, p=0.5, mode="inverted", rng=None):
        super().__init__()
        _check(p, mode, type(self).__name__)
        self.p, self.mode = float(p), mode
        self.rng = optional_generator(rng, "dropout")

    def forward(self, x):
        return self._fn(x, self.p, self.training, self.mode, self.rng)

    def extra_repr(self):
        return f"p={self.p}" + ("" if self.mode == "inverted" else f", mode={self.mode!r}")


class Dropout2d(Dropout):
    """Channel dropout for (N, C, H, W) (or (N, C, L)) inputs: whole feature maps are zeroed."""

    _fn = staticmethod(dropout_channels)


Dropout1d = Dropout2d
