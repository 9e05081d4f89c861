"""The normal distributions: `Normal` (eq. 5.7) and `MultivariateNormal` (eq. B.17).

Both have `rsample`, the reparameterisation trick of section 17.7 (eq. 17.25): a draw is
µ + σε (or µ + Lε with Σ = LLᵀ) for a standard normal ε, so it is a differentiable function of
the parameters and gradients flow through it.
"""
from __future__ import annotations

import math

import numpy as np

from .. import linalg
from ..compile.recorder import drawn
from .distribution import (Distribution, broadcast_shapes, check_not_nan, check_positive, exactly_one, first_bad,
                           float_parameters)

_LOG_2PI = math.log(2 * math.pi)


class Normal(Distribution):
    """`Normal(loc, scale)`: the univariate normal with mean µ = loc and standard deviation σ = scale
    (not the variance), elementwise over the broadcast shape of the two (the batch shape).

        Pr(y | µ, σ²) = (2πσ²)^(-1/2) exp[-(y - µ)² / (2σ²)]                        (eq. 5.7)

    `loc` and `scale` may be numbers, arrays or Tensors that require grad (a network's outputs,
    as in heteroscedastic regression, eqs. 5.14-5.15). `scale` must be > 0.
    """

    has_rsample = True

    def __init__(self, loc, scale):
        (loc, scale), dtype = float_parameters("Normal", loc=loc, scale=scale)
        check_not_nan("Normal", "loc", loc)
        check_positive("Normal", "scale", scale, "scale is the standard deviation σ; to learn it, predict log σ "
                       "and pass its exp(), or pass softplus() of a network output")
        self._loc, self._scale = loc, scale
        super().__init__(broadcast_shapes("Normal", loc=loc.shape, scale=scale.shape), (), dtype)

    # Broadcast on each use, as everything else is computed from the parameters when asked: a
    # distribution then holds no graph of its own and can be used in several backward passes.
    @property
    def loc(self):
        return self._loc.broadcast_to(self.batch_shape)

    @property
    def scale(self):
        return self._scale.broadcast_to(self.batch_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self.scale ** 2

    @property
    def stddev(self):
        return self.scale

    def rsample(self, sample_shape=(), rng=None):
        """µ + σε with ε ~ N(0, 1) (eq. 17.25): differentiable in loc and scale. ε is a recorded draw
        (`compile.recorder.drawn`): a compiled training step draws it anew at every replay."""
        shape, rng = self._draw_shape(sample_shape, rng)
        return self.loc + self.scale * drawn(_standard_normal, rng, shape, self.dtype)

    def log_prob(self, value):
        """log Pr(value) from eq. 5.7: -(y - µ)²/(2σ²) - log σ - log(2π)/2."""
        value = self._real_value(value)
        self._value_shape(value.shape)
        z = (value - self.loc) / self.scale
        return -0.5 * z ** 2 - self.scale.log() - 0.5 * _LOG_2PI

    def entropy(self):
        """½ log(2πeσ²) (standard, not in the book)."""
        return self.scale.log() + 0.5 * (1 + _LOG_2PI)


class MultivariateNormal(Distribution):
    """`MultivariateNormal(loc, covariance_matrix=None, scale_tril=None)`: the normal over vectors
    x ∈ R^D with mean µ = loc (shape (..., D)) and covariance Σ (eq. B.17),

        Pr(x) = (2π)^(-D/2) |Σ|^(-1/2) exp[-(x - µ)ᵀ Σ⁻¹ (x - µ) / 2],

    given by exactly one of `covariance_matrix` Σ (..., D, D), symmetric positive definite, or
    `scale_tril` L (..., D, D), lower triangular with a positive diagonal, Σ = L Lᵀ. Leading axes of
    loc and the matrix broadcast to the batch shape; the event shape is (D,).

    Everything is computed from the Cholesky factor L (`tinygrad_udl.linalg`): Σ⁻¹ by triangular
    solves and log|Σ| = 2 Σ_d log L_dd, never an inverse or a determinant.
    """

    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, scale_tril=None):
        where = "MultivariateNormal"
        name, matrix = exactly_one(where, covariance_matrix=covariance_matrix, scale_tril=scale_tril)
        (loc, matrix), dtype = float_parameters(where, loc=loc, **{name: matrix})
        if loc.ndim == 0:
            raise ValueError(f"{where}: loc must have shape (..., D) (a mean vector per batch element), got a "
                             "scalar; for a one-dimensional normal use Normal(loc, scale)")
        d = loc.shape[-1]
        if matrix.shape[-2:] != (d, d):
            raise ValueError(f"{where}: {name} has shape {matrix.shape}, but loc has shape {loc.shape}: the matrix "
                             f"must have shape (..., {d}, {d}) to match the mean's {d} dimensions")
        check_not_nan(where, "loc", loc)
        if name == "covariance_matrix":
            _check_covariance(matrix)
        else:
            _check_scale_tril(matrix)
        self._loc, self._matrix, self._from_covariance = loc, matrix, name == "covariance_matrix"
        batch = broadcast_shapes(where, loc_batch=loc.shape[:-1], matrix_batch=matrix.shape[:-2])
        super().__init__(batch, (d,), dtype)

    @property
    def loc(self):
        return self._loc.broadcast_to(self.batch_shape + self.event_shape)

    @property
    def scale_tril(self):
        """L, lower triangular with L Lᵀ = Σ (the Cholesky factor, if Σ was given)."""
        tril = linalg.cholesky(self._matrix) if self._from_covariance else self._matrix
        return tril.broadcast_to(self.batch_shape + self.event_shape * 2)

    @property
    def covariance_matrix(self):
        matrix = self._matrix if self._from_covariance else self._matrix @ self._matrix.swapaxes(-1, -2)
        return matrix.broadcast_to(self.batch_shape + self.event_shape * 2)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The diagonal of Σ: Σ_dd = Σ_j L_dj²."""
        return (self.scale_tril ** 2).sum(-1)

    def rsample(self, sample_shape=(), rng=None):
        """µ + L ε with ε ~ N(0, I) (eq. 17.25, with the Cholesky factor L as Σ^(1/2), eq. B.22):
        differentiable in loc and in the covariance. ε is a recorded draw, as in `Normal.rsample`."""
        shape, rng = self._draw_shape(sample_shape, rng)
        eps = drawn(_standard_normal, rng, shape, self.dtype)
        return self.loc + (self.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        """Eq. B.17's logarithm: -[D log 2π + ‖L⁻¹(x - µ)‖²]/2 - Σ_d log L_dd."""
        value = self._real_value(value)
        self._value_shape(value.shape)
        tril = self.scale_tril
        z = linalg.solve_triangular(tril, (value - self.loc).unsqueeze(-1), lower=True).squeeze(-1)
        return -0.5 * (self.event_shape[0] * _LOG_2PI + (z ** 2).sum(-1)) - half_log_det(tril)

    def entropy(self):
        """D(1 + log 2π)/2 + log|Σ|/2 (standard, not in the book)."""
        return 0.5 * self.event_shape[0] * (1 + _LOG_2PI) + half_log_det(self.scale_tril)


def half_log_det(tril):
    """log|Σ|/2 = Σ_d log L_dd for Σ = L Lᵀ (the diagonal is taken by a mask: differentiable)."""
    return (tril * np.eye(tril.shape[-1], dtype=tril.dtype)).sum(-1).log().sum(-1)


def _check_covariance(matrix):
    """Symmetric positive definite, as its Cholesky factorisation checks (naming the bad matrix)."""
    try:
        linalg.cholesky(matrix.detach())
    except linalg.LinAlgError as e:
        reason = str(e).rstrip(".")
        raise linalg.LinAlgError(f"MultivariateNormal: covariance_matrix must be symmetric positive definite: "
                                 f"{reason}. Or pass scale_tril= (a lower-triangular L with a positive diagonal; "
                                 "Σ = L Lᵀ)") from None


def _check_scale_tril(tril):
    where = "MultivariateNormal: scale_tril"
    upper = np.triu(tril.data, 1) != 0
    if upper.any():
        raise ValueError(f"{where} must be lower triangular (zero above the diagonal), {first_bad(tril.data, upper)}. "
                         "Use .tril() of the matrix, or pass covariance_matrix= to have it factorised")
    diagonal = np.diagonal(tril.data, axis1=-2, axis2=-1)
    bad = ~(diagonal > 0)
    if bad.any():
        raise ValueError(f"{where} must have a positive diagonal (it is a Cholesky factor), "
                         f"{first_bad(diagonal, bad)} (the index ends with the position on the diagonal). "
                         "For a learned factor pass exp() or softplus() of the raw diagonal")


def _standard_normal(rng, shape, dtype):
    """ε ~ N(0, I) of `shape` in `dtype` (drawn in float64, as numpy draws, then cast)."""
    return rng.standard_normal(shape).astype(dtype)
