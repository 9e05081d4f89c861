"""Shallow neural networks: one hidden layer (chapter 3, eqs. 3.1-3.12), on Tensors.

    h_d = a[θ_d0 + Σ_i θ_di x_i]          d = 1, ..., D              (eq. 3.11)
    y_j = φ_j0 + Σ_d φ_jd h_d             j = 1, ..., D_o            (eq. 3.12)

The 1-3-1 network of eq. 3.1 (y = φ_0 + Σ_{d=1}^{3} φ_d a[θ_d0 + θ_d1 x]) is
`ShallowNetwork(1, 3, 1)`.
"""
from __future__ import annotations

from ...nn.activation import ReLU
from .deep import DeepNetwork


class ShallowNetwork(DeepNetwork):
    """`ShallowNetwork(in_features=1, hidden=3, out_features=1, activation=ReLU, rng=0)` (eqs. 3.11-3.12).

    Layer '0' holds θ (weight θ_{d,1..D_i}, D×D_i; bias θ_{d0}), layer '2' holds φ (weight
    φ_{j,1..D}, D_o×D; bias φ_{j0}); the names match PyTorch's
    `nn.Sequential(nn.Linear(D_i, D), nn.ReLU(), nn.Linear(D, D_o))`. He initialisation (eq. 7.30).

    Parameter count (section 3.4): (D_i + 1)·D + (D + 1)·D_o -- 10 for the 1-3-1 network,
    20 for the 3-3-2 network of fig. 3.11, 51,001 for D_i = 100, D = 500, D_o = 1 (fig. 3.9).
    With ReLU and a scalar input it has at most D + 1 linear regions (section 3.1).
    """

    def __init__(self, in_features=1, hidden=3, out_features=1, activation=ReLU, rng=0, dtype=None):
        super().__init__(in_features, [hidden], out_features, activation=activation, rng=rng, dtype=dtype)
        self.hidden = int(hidden)

    def extra_repr(self):
        return f"{self.in_features} -> {self.hidden} -> {self.out_features}"
