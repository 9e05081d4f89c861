"""Elementwise flows (section 16.3.2): one invertible function of each coordinate,

    f[h] = [f[h_1, φ], f[h_2, φ], ..., f[h_D, φ]]ᵀ                               (eq. 16.10)

whose Jacobian is diagonal, so log |∂f/∂h| = Σ_d log |f′[h_d]| (eq. 16.11).

- `LeakyReLUFlow`: the fixed leaky ReLU of fig. 3.13 (slope 0.1 below 0; problem 16.7), no
  parameters.
- `SigmoidFlow`: the logistic sigmoid, R -> (0, 1), and its inverse the logit: with `InverseFlow`
  it brings the [0, 1] piecewise-linear flow to the real line.
- `PiecewiseLinearFlow`: the monotone piecewise-linear map of [0, 1] onto itself with K bins
  (eq. 16.12, fig. 16.5), slopes from a softmax so that they are positive and sum to one.
"""
from __future__ import annotations

import numpy as np

from ....autograd.tensor import no_grad_op
from ....autograd.array_ops import take_along_axis
from ....checks import as_generator, check_int
from ....nn.module import Parameter, default_float_dtype
from .base import FlowLayer, FlowSequence, InverseFlow, check_rows
from .density import NormalizingFlow
from .linear import LULinearFlow


class LeakyReLUFlow(FlowLayer):
    """`LeakyReLUFlow(dim, slope=0.1)`: f[h] = h for h ≥ 0, slope·h below (fig. 3.13); inverse
    h/slope below 0 (problem 16.7). log |f′| = log(slope) on the negative side, 0 elsewhere.
    No parameters."""

    def __init__(self, dim, slope=0.1):
        super().__init__()
        self.dim = check_int(dim, "dim", "LeakyReLUFlow", minimum=1)
        if not 0 < slope:
            raise ValueError(f"LeakyReLUFlow: the slope must be > 0 for the map to be invertible, got {slope}")
        self.slope = float(slope)

    def forward(self, z):
        return check_rows(z, self.dim, "LeakyReLUFlow").leaky_relu(self.slope)

    def inverse(self, x):
        return check_rows(x, self.dim, "LeakyReLUFlow.inverse").leaky_relu(1.0 / self.slope)

    def log_abs_det_jacobian(self, z):
        z = check_rows(z, self.dim, "LeakyReLUFlow")
        return no_grad_op(_leaky_log_det, z, slope=self.slope)   # piecewise constant: no gradient


def _leaky_log_det(z, slope):
    """log |det| of the leaky ReLU at z: log(slope) per negative coordinate, in z's dtype."""
    return (np.log(slope) * (z < 0).sum(-1)).astype(z.dtype)


class SigmoidFlow(FlowLayer):
    """`SigmoidFlow(dim)`: f[h] = sig[h] = 1/(1 + e^−h), R -> (0, 1) (eq. 5.18's sigmoid), inverse
    log x − log(1 − x); log f′[h] = log sig[h] + log sig[−h] = −softplus(−h) − softplus(h).
    No parameters."""

    def __init__(self, dim):
        super().__init__()
        self.dim = check_int(dim, "dim", "SigmoidFlow", minimum=1)

    def forward(self, z):
        return check_rows(z, self.dim, "SigmoidFlow").sigmoid()

    def inverse(self, x):
        x = check_rows(x, self.dim, "SigmoidFlow.inverse")
        if np.any((x.data <= 0) | (x.data >= 1)):
            raise ValueError("SigmoidFlow.inverse: the logit needs values strictly between 0 and 1")
        return x.log() - (1 - x).log()

    def log_abs_det_jacobian(self, z):
        z = check_rows(z, self.dim, "SigmoidFlow")
        return (-(-z).softplus() - z.softplus()).sum(-1)


class PiecewiseLinearFlow(FlowLayer):
    """`PiecewiseLinearFlow(dim, bins=5, dtype=None)`: eq. 16.12 on [0, 1] for each coordinate.

    With slopes φ_{d,1..K} > 0 summing to one (φ_d = softmax of the parameter row `weights[d]`) and
    the bin b = ⌊K h⌋ (counting from 0; b = K − 1 at h = 1),

        f[h] = Σ_{k<b} φ_k + (K h − b) φ_b,      f′[h] = K φ_b                    (eq. 16.12)

    (the corrected, 0-based form of the equation). `weights` has D·K parameters; all zero (the
    initial value) is the identity. The inverse finds the bin whose cumulative range holds y and
    undoes the linear piece. Inputs must lie in [0, 1].
    """

    def __init__(self, dim, bins=5, dtype=None):
        super().__init__()
        self.dim = check_int(dim, "dim", "PiecewiseLinearFlow", minimum=1)
        self.bins = check_int(bins, "bins", "PiecewiseLinearFlow", minimum=1)
        self.weights = Parameter(np.zeros((self.dim, self.bins)), dtype=default_float_dtype(dtype))

    def _pieces(self, rows):
        """(φ, Σ_{k<b} φ_k) for every bin, broadcast to (rows, D, K)."""
        slopes = self.weights.softmax(-1)
        starts = slopes.cumsum(-1) - slopes
        shape = (rows, self.dim, self.bins)
        return slopes.broadcast_to(shape), starts.broadcast_to(shape)

    def _check_unit(self, h, where):
        h = check_rows(h, self.dim, where)
        if np.any((h.data < 0) | (h.data > 1)):
            raise ValueError(f"{where}: the piecewise-linear flow maps [0, 1] onto itself; got values outside [0, 1]")
        return h

    # The bins are found by no-gradient steps (`no_grad_op`): a compiled training step computes
    # them again from every batch, where numpy code on `.data` would make them constants.

    def _bin(self, h):
        """b = ⌊K h⌋ (K − 1 at h = 1), shape (N, D, 1) for `take_along_axis`."""
        return no_grad_op(_forward_bin, h, bins=self.bins)

    def forward(self, z):
        z = self._check_unit(z, "PiecewiseLinearFlow")
        slopes, starts = self._pieces(z.shape[0])
        b = self._bin(z)
        slope, start = take_along_axis(slopes, b, 2)[..., 0], take_along_axis(starts, b, 2)[..., 0]
        return start + (self.bins * z - no_grad_op(_bin_number, b, dtype=z.dtype)) * slope

    def inverse(self, x):
        x = self._check_unit(x, "PiecewiseLinearFlow.inverse")
        slopes, starts = self._pieces(x.shape[0])
        b = no_grad_op(_inverse_bin, starts, x, bins=self.bins)
        slope, start = take_along_axis(slopes, b, 2)[..., 0], take_along_axis(starts, b, 2)[..., 0]
        return (no_grad_op(_bin_number, b, dtype=x.dtype) + (x - start) / slope) / self.bins

    def log_abs_det_jacobian(self, z):
        z = self._check_unit(z, "PiecewiseLinearFlow")
        slopes, _ = self._pieces(z.shape[0])
        return (take_along_axis(slopes, self._bin(z), 2)[..., 0] * self.bins).log().sum(-1)


def _forward_bin(h, bins):
    """The bin ⌊K h⌋ of each h in [0, 1] (K − 1 at h = 1), with a last axis of 1."""
    return np.minimum(np.floor(bins * h), bins - 1).astype(np.int64)[..., None]


def _inverse_bin(starts, y, bins):
    """The last bin whose start (`starts`, (N, D, K)) is <= y (the first bin for y = 0), with a last axis of 1."""
    return np.clip((starts <= y[..., None]).sum(-1) - 1, 0, bins - 1)[..., None]


def _bin_number(b, dtype):
    """The bins `b` (N, D, 1) as numbers (N, D) of `dtype`."""
    return b[..., 0].astype(dtype)


def piecewise_linear_on_reals(dim, bins=5, dtype=None):
    """sig⁻¹ ∘ (eq. 16.12) ∘ sig: a learnable monotone map of each real coordinate (a
    `FlowSequence` of `SigmoidFlow`, `PiecewiseLinearFlow` and the sigmoid's inverse)."""
    return FlowSequence([SigmoidFlow(dim), PiecewiseLinearFlow(dim, bins, dtype=dtype), InverseFlow(SigmoidFlow(dim))])


class LinearElementwiseFlow(NormalizingFlow):
    """`LinearElementwiseFlow(dim=2, layers=4, bins=8, rng=0, dtype=None)`: LU linear flows (eq. 16.9)
    alternating with learnable elementwise maps (`piecewise_linear_on_reals`, eq. 16.12), ending
    with a linear flow, on a N(0, I) base density (eq. 16.3). Section 16.3.2: neither kind alone
    is expressive (linear flows keep a normal normal, elementwise ones cannot correlate
    coordinates), alternated they can bend the base density.

    Parameters: (layers + 1) LU flows of D² + D and `layers` warps of D·K:
    (layers + 1)(D² + D) + layers·D·K = 5·6 + 4·16 = 94 for the defaults.
    """

    def __init__(self, dim=2, layers=4, bins=8, rng=0, dtype=None):
        gen = as_generator(rng, "LinearElementwiseFlow")
        layers = check_int(layers, "layers", "LinearElementwiseFlow", minimum=1)
        steps = [LULinearFlow(dim, rng=gen, dtype=dtype)]
        for _ in range(layers):
            steps += [piecewise_linear_on_reals(dim, bins, dtype=dtype), LULinearFlow(dim, rng=gen, dtype=dtype)]
        super().__init__(FlowSequence(steps))
