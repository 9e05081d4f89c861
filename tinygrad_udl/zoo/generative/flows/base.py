"""What every flow layer provides, and the layers that only move coordinates around.

A flow layer is an invertible map f: z -> x of R^D onto itself (eq. 16.3), applied to a batch of
rows (N, D):

    forward(z)               x = f[z]          the generative direction (sampling, eq. 16.4)
    inverse(x)               z = f⁻¹[x]        the normalizing direction (eq. 16.5)
    log_abs_det_jacobian(z)  log |∂f[z]/∂z|    one number per row, at the point z

The density of eq. 16.3 needs log |∂f[z]/∂z| at z = f⁻¹[x], so `inverse_and_log_det(x)` returns
both; layers whose log-determinant is cheaper from x (the ones defined in the normalizing
direction: masked autoregressive and residual flows) override it. Every map is written with
Tensor operations, so gradients reach the parameters through all three.

`FlowSequence` composes layers (eqs. 16.4-16.7: log-determinants add up), `InverseFlow` swaps a
layer's directions and `Permutation` reorders coordinates (|det| = 1), the frozen shuffle that
coupling and autoregressive layers need between them (section 16.3.3).
"""
from __future__ import annotations

import numpy as np

from ....autograd.tensor import Tensor, tensor
from ....checks import as_generator, check_int
from ....nn.module import Module, ModuleList


def soft_clamp(raw, bound):
    """bound · tanh(raw / bound): a log-scale that stays in (−bound, bound), so that one bad step
    cannot make a coupling or autoregressive layer's scale exp(s) overflow; ≈ raw for |raw| ≪ bound."""
    return (raw / bound).tanh() * bound


def check_rows(x, dim, where):
    """`x` as a Tensor of shape (N, dim); a clear error otherwise."""
    x = tensor(x)
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{where}: expected a batch of shape (N, {dim}) (one point per row), got {x.shape}")
    return x


class FlowLayer(Module):
    """Base class of the invertible layers of section 16.3 (see the module docstring).

    Subclasses set `self.dim` and define `forward`, `inverse` and `log_abs_det_jacobian`, and may
    override `inverse_and_log_det` with a cheaper route.
    """

    dim: int

    def forward(self, z):
        raise NotImplementedError

    def inverse(self, x):
        raise NotImplementedError

    def log_abs_det_jacobian(self, z):
        raise NotImplementedError

    def inverse_and_log_det(self, x):
        """(z, log |∂f[z]/∂z|) with z = f⁻¹[x]: what the change of variables (eq. 16.3) needs."""
        z = self.inverse(x)
        return z, self.log_abs_det_jacobian(z)


class FlowSequence(FlowLayer):
    """`FlowSequence(layers)`: x = f_K[... f_2[f_1[z]]] (eq. 16.4), inverted in the opposite order
    (eq. 16.5); the log-determinants of the layers add up (eq. 16.7). Parameters are those of the
    layers (`layers.0.…`, `layers.1.…`)."""

    def __init__(self, layers):
        super().__init__()
        layers = list(layers)
        if not layers:
            raise ValueError("FlowSequence: needs at least one layer")
        dims = {layer.dim for layer in layers}
        if len(dims) != 1:
            raise ValueError(f"FlowSequence: all layers must act on the same dimension, got {sorted(dims)}")
        self.layers = ModuleList(layers)
        self.dim = dims.pop()

    def forward(self, z):
        for layer in self.layers:
            z = layer(z)
        return z

    def inverse(self, x):
        for layer in reversed(list(self.layers)):
            x = layer.inverse(x)
        return x

    def log_abs_det_jacobian(self, z):
        total = 0.0
        for layer in self.layers:
            total = total + layer.log_abs_det_jacobian(z)
            z = layer(z)
        return total

    def inverse_and_log_det(self, x):
        total = 0.0
        for layer in reversed(list(self.layers)):
            x, log_det = layer.inverse_and_log_det(x)
            total = total + log_det
        return x, total


class InverseFlow(FlowLayer):
    """`InverseFlow(layer)`: the layer with its directions swapped, f = layer⁻¹; its log-determinant
    at z is minus the layer's at layer⁻¹[z] (the inverse function theorem)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.dim = layer.dim

    def forward(self, z):
        return self.layer.inverse(z)

    def inverse(self, x):
        return self.layer(x)

    def log_abs_det_jacobian(self, z):
        x, log_det = self.layer.inverse_and_log_det(z)
        return -log_det

    def inverse_and_log_det(self, x):
        return self.layer(x), -self.layer.log_abs_det_jacobian(x)


class Permutation(FlowLayer):
    """`Permutation(dim, permutation=None, rng=0)`: x_d = z_{π(d)}, a fixed permutation matrix P
    (|det P| = 1, so log |det| = 0). Random from `rng` unless given; the reversal for dim = 2.
    A buffer, not a parameter (section 16.3.3: permutations are chosen once and frozen)."""

    def __init__(self, dim, permutation=None, rng=0):
        super().__init__()
        self.dim = check_int(dim, "dim", "Permutation", minimum=1)
        if permutation is None:
            permutation = as_generator(rng, "Permutation").permutation(self.dim)
        permutation = np.asarray(permutation)
        if sorted(permutation.tolist()) != list(range(self.dim)):
            raise ValueError(f"Permutation: {permutation.tolist()} is not a permutation of 0..{self.dim - 1}")
        self.register_buffer("permutation", permutation.astype(np.int64))

    def forward(self, z):
        return check_rows(z, self.dim, "Permutation")[:, self.permutation]

    def inverse(self, x):
        return check_rows(x, self.dim, "Permutation.inverse")[:, np.argsort(self.permutation)]

    def log_abs_det_jacobian(self, z):
        return Tensor(np.zeros(check_rows(z, self.dim, "Permutation").shape[0], z.dtype))
