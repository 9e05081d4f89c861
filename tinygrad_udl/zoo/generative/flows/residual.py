"""Invertible residual flows (iResNet, Behrmann et al., 2019; section 16.3.7, eqs. 16.20-16.24).

A residual layer y = h + g[h] is invertible when g is a contraction (eq. 16.20: Lipschitz
constant below one): y is then the fixed point of h ↦ y − g[h], reached by iterating from any
start (eq. 16.21, fig. 16.9b). g here is a tanh network whose weight matrices are rescaled to a
spectral norm (largest singular value) of at most c < 1 -- tanh has slope ≤ 1, so Lip(g) ≤ c^L.

The layer is defined in the normalizing direction, z = x + g[x] (explicit, for the likelihood);
sampling inverts it by the fixed-point iteration. The log-determinant log |I + ∂g/∂x| is exact
here: in low dimension the Jacobian ∂g/∂x = W_L diag(a′) ... diag(a′) W_1 is formed in closed form
alongside g and `linalg.slogdet` takes it. `log_det_power_series` gives the book's route for high dimension:
the power series of eq. 16.22 with traces from Hutchinson's estimator (eqs. 16.23-16.24).
"""
from __future__ import annotations

import numpy as np

from .... import linalg
from ....autograd.tensor import Tensor, maximum
from ....checks import as_generator, check_int
from ....nn.linear import Linear, linear
from ....nn.module import ModuleList
from .base import FlowLayer, FlowSequence, check_rows
from .density import NormalizingFlow


def spectral_norm(weight):
    """The largest singular value of a matrix: √(largest eigenvalue of Wᵀ W) (differentiable)."""
    gram = weight.T @ weight if weight.shape[0] >= weight.shape[1] else weight @ weight.T
    return linalg.eigvalsh(gram)[-1].sqrt()


class InvertibleResidual(FlowLayer):
    """`InvertibleResidual(dim, hidden=(64, 64), lipschitz=0.9, rng=0, dtype=None)`: one iResNet
    block, z = x + g[x] with g = a tanh network D -> hidden -> D whose weights are used as
    W / max(1, ‖W‖₂ / c) (c = `lipschitz`; so Lip(g) ≤ c^L < 1, eq. 16.20).

    forward(z) (generative) iterates x ← z − g[x] from x = z until the step is below `tol`
    (eq. 16.21; it converges geometrically with rate c^L); log |∂f/∂z| = −log |det(I + ∂g/∂x)| at
    x = f[z]. Parameters (`layers.k.weight`, `layers.k.bias`, PyTorch's Linear layout):
    Σ_k (D_k + 1) D_{k+1} over [D, *hidden, D].
    """

    def __init__(self, dim, hidden=(64, 64), lipschitz=0.9, rng=0, dtype=None, tol=1e-10, max_iterations=500):
        super().__init__()
        self.dim = check_int(dim, "dim", "InvertibleResidual", minimum=1)
        if not 0 < lipschitz < 1:
            raise ValueError(f"InvertibleResidual: lipschitz must be in (0, 1) for g to be a contraction, got {lipschitz}")
        gen = as_generator(rng, "InvertibleResidual")
        sizes = [self.dim, *[check_int(w, "hidden", "InvertibleResidual", minimum=1) for w in hidden], self.dim]
        self.layers = ModuleList([Linear(a, b, dtype=dtype, rng=gen) for a, b in zip(sizes[:-1], sizes[1:])])
        self.lipschitz, self.tol, self.max_iterations = float(lipschitz), float(tol), int(max_iterations)

    def weights(self):
        """The rescaled weights W / max(1, ‖W‖₂ / c) of every layer."""
        return [layer.weight / maximum(spectral_norm(layer.weight) / self.lipschitz, 1.0) for layer in self.layers]

    def residual(self, x, with_jacobian=False):
        """g[x]; with `with_jacobian` also ∂g/∂x at each row, (N, D, D):
        W_L diag(a′_{L−1}) W_{L−1} ... diag(a′_1) W_1 with a′ = 1 − tanh² the activations' slopes."""
        weights, layers = self.weights(), list(self.layers)
        jacobian = weights[0]
        for weight, layer, following in zip(weights[:-1], layers[:-1], weights[1:]):
            x = linear(x, weight, layer.bias).tanh()
            if with_jacobian:
                jacobian = following @ ((1 - x * x).unsqueeze(-1) * jacobian)
        g = linear(x, weights[-1], layers[-1].bias)
        return (g, jacobian) if with_jacobian else g

    def _log_det(self, jacobian):
        """log |det(I + ∂g/∂x)| per row."""
        return linalg.slogdet(jacobian + np.eye(self.dim, dtype=jacobian.dtype)).logabsdet

    def forward(self, z):
        z = check_rows(z, self.dim, "InvertibleResidual")
        x = z
        for _ in range(self.max_iterations):
            step = z - self.residual(x)
            converged = np.max(np.abs(step.data - x.data), initial=0.0) <= self.tol * (1 + np.max(np.abs(z.data),
                                                                                                  initial=0.0))
            x = step
            if converged:
                break
        return x

    def inverse(self, x):
        x = check_rows(x, self.dim, "InvertibleResidual.inverse")
        return x + self.residual(x)

    def log_abs_det_jacobian(self, z):
        return -self._log_det(self.residual(self.forward(z), with_jacobian=True)[1])

    def inverse_and_log_det(self, x):
        x = check_rows(x, self.dim, "InvertibleResidual.inverse")
        g, jacobian = self.residual(x, with_jacobian=True)
        return x + g, -self._log_det(jacobian)


def log_det_power_series(jacobian, terms, probes=None, rng=None):
    """log |det(I + J)| ≈ Σ_{k=1}^{terms} (−1)^{k−1} tr(J^k)/k (eq. 16.22; converges when the
    spectral radius of J is below 1), for J of shape (..., D, D).

    With `probes` = I, each trace is Hutchinson's estimate (1/I) Σ_i ε_iᵀ J^k ε_i with ε_i ~ N(0, I)
    (eqs. 16.23-16.24), computed from matrix-vector products only; otherwise the exact trace."""
    terms = check_int(terms, "terms", "log_det_power_series", minimum=1)
    if probes is None:
        power, total = jacobian, 0.0
        for k in range(1, terms + 1):
            total = total + (-1) ** (k - 1) * power.trace(axis1=-2, axis2=-1) / k
            power = power @ jacobian
        return total
    probes = check_int(probes, "probes", "log_det_power_series", minimum=1)
    eps = Tensor(as_generator(rng, "log_det_power_series").standard_normal(jacobian.shape[:-1] + (probes,)),
                 dtype=jacobian.dtype)                                     # (..., D, I): one probe per column
    vectors, total = eps, 0.0
    for k in range(1, terms + 1):
        vectors = jacobian @ vectors                                        # J^k ε
        total = total + (-1) ** (k - 1) * (eps * vectors).sum((-2, -1)) / (k * probes)
    return total


class ResidualFlow(NormalizingFlow):
    """`ResidualFlow(dim=2, layers=8, hidden=(64,), lipschitz=0.9, rng=0, dtype=None)`: a stack
    of `InvertibleResidual` blocks (iResNet, section 16.3.7, eqs. 16.20-16.22) on a N(0, I) base
    density (eq. 16.3).

    Parameters: `layers` blocks, each Σ_k (D_k + 1) D_{k+1} over [D, *hidden, D]: for D = 2 and
    hidden (64,), 3·64 + 65·2 = 322 per block, 2,576 for eight.
    """

    def __init__(self, dim=2, layers=8, hidden=(64,), lipschitz=0.9, rng=0, dtype=None):
        gen = as_generator(rng, "ResidualFlow")
        layers = check_int(layers, "layers", "ResidualFlow", minimum=1)
        super().__init__(FlowSequence([InvertibleResidual(dim, hidden, lipschitz, rng=gen, dtype=dtype)
                                       for _ in range(layers)]))
