"""Deep (multi-layer) fully connected networks on Tensors (chapter 4, eq. 4.15).

    h_1     = a[β_0 + Ω_0 x]
    h_{k+1} = a[β_k + Ω_k h_k]        k = 1, ..., K−1
    y       = β_K + Ω_K h_K                                                     (eq. 4.15)

with Ω_0 of shape D_1×D_i, Ω_k of shape D_{k+1}×D_k, Ω_K of shape D_o×D_K (section 4.4). In the
library's row-batch layout (docs/conventions.md, "Vector layout") a batch X is N×D_i and each layer computes
X Ω_kᵀ + β_k; `Linear.weight` is Ω_k (out×in) and `Linear.bias` is β_k.
"""
from __future__ import annotations

from ...nn.activation import ReLU
from ...nn.linear import Linear
from ...nn.module import Sequential
from ...checks import as_generator
from ._he import he_init_


class DeepNetwork(Sequential):
    """`DeepNetwork(in_features, widths, out_features, activation=ReLU, rng=0)`: eq. 4.15.

    `widths` = [D_1, ..., D_K] are the hidden layers' sizes (K ≥ 1; K = 1 is the shallow network
    of chapter 3). The layers are `Linear, activation, Linear, activation, ..., Linear`, so the
    parameter names are those of the PyTorch model
    `nn.Sequential(nn.Linear(D_i, D_1), nn.ReLU(), ..., nn.Linear(D_K, D_o))` ('0.weight' = Ω_0,
    '0.bias' = β_0, '2.weight' = Ω_1, ...) and a state dict carries over name for name.
    Weights get He initialisation (eq. 7.30), biases 0 (section 7.5), drawn from `rng`.

    The number of parameters is Σ_{k=0}^{K} (D_k + 1) D_{k+1} with D_0 = D_i, D_{K+1} = D_o
    (section 4.4): 471 for D_i = 1, K = 5, D = 10 (fig. 4.7a).
    """

    def __init__(self, in_features, widths, out_features, activation=ReLU, rng=0, dtype=None):
        widths = [int(w) for w in widths]
        if not widths or min(widths) < 1:
            raise ValueError(f"{type(self).__name__}: widths must list at least one positive hidden size, "
                             f"got {widths}")
        gen = as_generator(rng, "zoo model")
        sizes = [int(in_features), *widths, int(out_features)]
        layers = []
        for k, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(d_in, d_out, dtype=dtype, rng=gen))  # β_k + Ω_k h_k
            if k < len(widths):
                layers.append(activation())  # a[.]; none after the output layer
        super().__init__(*layers)
        self.in_features, self.widths, self.out_features = sizes[0], widths, sizes[-1]
        he_init_(self, gen)

    def extra_repr(self):
        return f"{self.in_features} -> {' -> '.join(map(str, self.widths))} -> {self.out_features}"
