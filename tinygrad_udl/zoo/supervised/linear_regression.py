"""Linear regression (chapter 2): the model, the least-squares loss and its closed-form minimum.

    f[x, φ] = φ_0 + φ_1 x                               (eq. 2.4)
    L[φ]    = Σ_i (φ_0 + φ_1 x_i − y_i)²                 (eq. 2.5, a sum over the I examples)

Training by gradient descent (fig. 2.4, chapter 6) should end where the normal equations put the
minimum (section 2.2.3 notes that linear regression has a closed-form solution): `closed_form`
is that independent answer, and `least_squares_loss` evaluates eq. 2.5 at any φ.
"""
from __future__ import annotations

import numpy as np

from ...nn import init
from ...nn.linear import linear
from ...nn.module import Module, Parameter, default_float_dtype
from ...checks import as_generator


class LinearRegression(Module):
    """`LinearRegression(in_features=1, rng=0)`: f[x, φ] = φ_0 + φ_1ᵀx (eq. 2.4; D_i inputs).

    Input x of shape (N, D_i), output (N, 1). `weight` is φ_1 (1×D_i) and `bias` is φ_0 (1,),
    the names and shapes of PyTorch's `nn.Linear(D_i, 1)`. The book starts descent from a random
    point (fig. 2.4) without saying which: φ is drawn N(0, 1).
    """

    def __init__(self, in_features=1, rng=0, dtype=None):
        super().__init__()
        dtype = default_float_dtype(dtype)
        self.in_features = int(in_features)
        self.weight = Parameter(np.zeros((1, self.in_features), dtype))  # φ_1
        self.bias = Parameter(np.zeros(1, dtype))  # φ_0
        gen = as_generator(rng, "zoo model")
        init.normal_(self.weight, rng=gen)
        init.normal_(self.bias, rng=gen)

    def forward(self, x):
        return linear(x, self.weight, self.bias)  # φ_0 + φ_1 x

    @property
    def phi(self) -> np.ndarray:
        """φ = [φ_0, φ_1, ...] as a float64 array (the book's parameter vector)."""
        return np.concatenate([self.bias.data, self.weight.data[0]]).astype(np.float64)

    def extra_repr(self):
        return f"in_features={self.in_features}"


def closed_form(x, y) -> np.ndarray:
    """The least-squares minimum φ = [φ_0, φ_1, ...] of eq. 2.5, from the normal equations
    (standard, not in the book), solved stably with `np.linalg.lstsq`. x: (N,) or (N, D_i)."""
    x = np.asarray(x, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    design = np.concatenate([np.ones((len(x), 1)), x], axis=1)  # rows [1, x_i]
    phi, *_ = np.linalg.lstsq(design, np.asarray(y, np.float64).reshape(-1), rcond=None)
    return phi


def least_squares_loss(phi, x, y) -> float:
    """L[φ] = Σ_i (φ_0 + φ_1ᵀ x_i − y_i)² (eq. 2.5), in float64."""
    x = np.asarray(x, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    phi = np.asarray(phi, np.float64)
    residual = phi[0] + x @ phi[1:] - np.asarray(y, np.float64).reshape(-1)
    return float(residual @ residual)
