"""Affine coupling flows (section 16.3.3, eqs. 16.13-16.14), as in RealNVP (Dinh et al., 2017).

The input is split into h₁ (kept) and h₂ (changed) by a binary mask b, and h₂ goes through an
elementwise affine map whose scale and offset are a network's function of h₁:

    h′₁ = h₁,   h′₂ = g[h₂, φ[h₁]] = h₂ ⊙ exp(s[h₁]) + t[h₁]                    (eq. 16.13)
    h₁ = h′₁,   h₂ = (h′₂ − t[h′₁]) ⊙ exp(−s[h′₁])                              (eq. 16.14)

The Jacobian is triangular with the identity on h₁ and exp(s) on h₂, so log |det| = Σ s. The
network φ[•] need not be invertible; alternating masks let every coordinate be changed.
"""
from __future__ import annotations

import numpy as np

from ....checks import as_generator, check_int
from ....nn import init
from ....nn.module import default_float_dtype
from ...supervised.deep import DeepNetwork
from .base import FlowLayer, FlowSequence, check_rows, soft_clamp
from .density import NormalizingFlow

LOG_SCALE_BOUND = 3.0  # |s| < 3: a coupling layer scales a coordinate by at most e³ ≈ 20


class AffineCoupling(FlowLayer):
    """`AffineCoupling(dim, hidden=(64, 64), parity=0, rng=0, dtype=None)`: eqs. 16.13-16.14.

    Coordinate d is kept (in h₁) when (d + parity) is even. The conditioner φ[•] is a ReLU network
    (`conditioner`, a `DeepNetwork` D -> hidden -> 2D, eq. 4.15) on the masked input b ⊙ h; its
    outputs are the log-scales s (through `soft_clamp`, |s| < 3) and offsets t, zeroed on the kept
    coordinates. Parameters: those of the conditioner, Σ_k (D_k + 1) D_{k+1} with sizes
    [D, *hidden, 2D]. Its last layer starts at zero, so the layer starts as the identity.
    """

    def __init__(self, dim, hidden=(64, 64), parity=0, rng=0, dtype=None):
        super().__init__()
        self.dim = check_int(dim, "dim", "AffineCoupling", minimum=2)
        self.conditioner = DeepNetwork(self.dim, hidden, 2 * self.dim, rng=as_generator(rng, "AffineCoupling"),
                                       dtype=dtype)
        self.register_buffer("kept", ((np.arange(self.dim) + parity) % 2 == 0).astype(default_float_dtype(dtype)),
                             persistent=False)
        last = list(self.conditioner)[-1]
        init.zeros_(last.weight)

    def _scale_and_shift(self, kept_part):
        changed = 1.0 - self.kept
        out = self.conditioner(kept_part * self.kept)
        log_scale = soft_clamp(out[:, :self.dim], LOG_SCALE_BOUND) * changed
        return log_scale, out[:, self.dim:] * changed

    def forward(self, z):
        z = check_rows(z, self.dim, "AffineCoupling")
        log_scale, shift = self._scale_and_shift(z)
        return z * log_scale.exp() + shift

    def inverse(self, x):
        x = check_rows(x, self.dim, "AffineCoupling.inverse")
        log_scale, shift = self._scale_and_shift(x)   # h′₁ = h₁: the same φ as in forward
        return (x - shift) * (-log_scale).exp()

    def log_abs_det_jacobian(self, z):
        log_scale, _ = self._scale_and_shift(check_rows(z, self.dim, "AffineCoupling"))
        return log_scale.sum(-1)

    def inverse_and_log_det(self, x):
        x = check_rows(x, self.dim, "AffineCoupling.inverse")
        log_scale, shift = self._scale_and_shift(x)
        return (x - shift) * (-log_scale).exp(), log_scale.sum(-1)


class RealNVP(NormalizingFlow):
    """`RealNVP(dim=2, layers=6, hidden=(64, 64), rng=0, dtype=None)`: a stack of affine coupling
    layers (section 16.3.3, eqs. 16.13-16.14) with alternating masks, on a N(0, I) base density
    (eq. 16.3).

    Parameters: `layers` conditioners, each Σ_k (D_k + 1) D_{k+1} over the sizes [D, *hidden, 2D]:
    for D = 2, hidden (64, 64) that is 3·64 + 65·64 + 65·4 = 4,612 per layer, 27,672 for six.
    """

    def __init__(self, dim=2, layers=6, hidden=(64, 64), rng=0, dtype=None):
        gen = as_generator(rng, "RealNVP")
        layers = check_int(layers, "layers", "RealNVP", minimum=1)
        super().__init__(FlowSequence([AffineCoupling(dim, hidden, parity=k % 2, rng=gen, dtype=dtype)
                                       for k in range(layers)]))
