"""Linear flows with the LU parameterisation (section 16.3.1, eq. 16.9).

A linear flow f[h] = β + Ωh is invertible when Ω is, but a general Ω costs O(D³) to invert and to
take the determinant of. Parameterised as

    Ω = P L (U + D)                                                              (eq. 16.9)

with a fixed permutation P, a lower-triangular L with ones on its diagonal, a strictly upper
triangular U and a diagonal D, the inverse is two triangular solves (back-substitution, O(D²))
and log |det Ω| = Σ_d log |D_dd| (the determinants of P, L are ±1 and 1).
"""
from __future__ import annotations

import numpy as np

from .... import linalg
from ....autograd.tensor import Tensor
from ....checks import as_generator, check_int
from ....nn.module import Parameter, default_float_dtype
from .base import FlowLayer, check_rows


def _scatter_matrix(dim, strictly_lower):
    """The constant 0/1 matrix E (D², D(D−1)/2) with E @ v = the D×D matrix (flattened) holding the
    entries of v strictly below (or above) the diagonal: the free entries of a triangle, as a
    matrix product so that gradients reach exactly them."""
    rows, cols = np.tril_indices(dim, -1) if strictly_lower else np.triu_indices(dim, 1)
    scatter = np.zeros((dim * dim, len(rows)))
    scatter[rows * dim + cols, np.arange(len(rows))] = 1.0
    return scatter


class LULinearFlow(FlowLayer):
    """`LULinearFlow(dim, rng=0, dtype=None)`: x = β + P L (U + D) z (section 16.3.1, eq. 16.9).

    Parameters (D = dim): `lower` (the D(D−1)/2 entries of L below its unit diagonal), `upper`
    (the D(D−1)/2 entries of U above the diagonal), `log_diagonal` s with D = diag(exp(s)) (so the
    diagonal never crosses 0 and Ω stays invertible; det Ω > 0, reflections come from P), and
    `bias` β: D(D−1)/2 + D(D−1)/2 + D + D = D² + D parameters, as many as a general affine map.
    P is a random permutation from `rng`, frozen (a buffer). Starts near the identity: small random
    triangles, s = 0, β = 0.

    log |∂f/∂z| = Σ_d s_d at every z; the inverse solves L a = Pᵀ(x − β), then (U + D) z = a.
    """

    def __init__(self, dim, rng=0, dtype=None):
        super().__init__()
        self.dim = check_int(dim, "dim", "LULinearFlow", minimum=1)
        gen = as_generator(rng, "LULinearFlow")
        dtype = default_float_dtype(dtype)
        pairs = self.dim * (self.dim - 1) // 2
        self.register_buffer("permutation", gen.permutation(self.dim))
        self.register_buffer("lower_scatter", _scatter_matrix(self.dim, True).astype(dtype), persistent=False)
        self.register_buffer("upper_scatter", _scatter_matrix(self.dim, False).astype(dtype), persistent=False)
        self.lower = Parameter(0.1 * gen.standard_normal(pairs), dtype=dtype)
        self.upper = Parameter(0.1 * gen.standard_normal(pairs), dtype=dtype)
        self.log_diagonal = Parameter(np.zeros(self.dim), dtype=dtype)
        self.bias = Parameter(np.zeros(self.dim), dtype=dtype)

    def _triangles(self):
        """(L, U + D) as D×D Tensors."""
        d = self.dim
        eye = np.eye(d, dtype=self.lower.dtype)
        lower = (Tensor(self.lower_scatter) @ self.lower).reshape(d, d) + eye
        upper = (Tensor(self.upper_scatter) @ self.upper).reshape(d, d) + eye * self.log_diagonal.exp()
        return lower, upper

    def weight(self):
        """Ω = P L (U + D) (D×D): (P M)_i = M_{π(i)}, the rows of L (U + D) in the permuted order."""
        lower, upper = self._triangles()
        return (lower @ upper)[self.permutation]

    def forward(self, z):
        z = check_rows(z, self.dim, "LULinearFlow")
        return z @ self.weight().T + self.bias

    def inverse(self, x):
        x = check_rows(x, self.dim, "LULinearFlow.inverse")
        lower, upper = self._triangles()
        # rows of x − β are the right-hand sides: Pᵀ v = v[argsort(π)], solved as columns
        rhs = (x - self.bias)[:, np.argsort(self.permutation)].T
        a = linalg.solve_triangular(lower, rhs, lower=True, unit_diagonal=True)
        return linalg.solve_triangular(upper, a, lower=False).T

    def log_abs_det_jacobian(self, z):
        z = check_rows(z, self.dim, "LULinearFlow")
        return self.log_diagonal.sum() * np.ones(z.shape[0], dtype=self.log_diagonal.dtype)
