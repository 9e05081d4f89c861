"""Masked autoregressive flows (sections 16.3.4-16.3.5, eqs. 16.15-16.17).

Each coordinate is transformed by an elementwise map whose parameters depend on the preceding
coordinates only (eq. 16.15). Here the transformer is affine and the layer is defined in the
normalizing direction, as a masked autoregressive flow (MAF, Papamakarios et al., 2017):

    z_d = (x_d − μ_d[x_{1:d−1}]) · exp(−α_d[x_{1:d−1}])

All D conditioners are one network with masked weights (MADE, Germain et al., 2015), so the
likelihood is one parallel pass; log |∂z/∂x| = −Σ_d α_d. The generative direction must be run
sequentially (eq. 16.17's principle: x_d needs x_{1:d−1}): D passes of the same network, each
fixing one more coordinate -- the slow sampling that section 16.3.5 describes.
"""
from __future__ import annotations

import numpy as np

from ....checks import as_generator, check_int
from ....nn import init
from ....nn.linear import Linear, linear
from ....nn.activation import ReLU
from ....nn.module import Module, ModuleList
from .base import FlowLayer, FlowSequence, Permutation, check_rows, soft_clamp
from .density import NormalizingFlow

LOG_SCALE_BOUND = 3.0  # |α| < 3, as for coupling layers


class MaskedLinear(Linear):
    """`MaskedLinear(in_features, out_features, mask, ...)`: x (W ⊙ M)ᵀ + b, a `Linear` whose
    weight is multiplied by a fixed 0/1 `mask` (out, in) (a buffer): the pruned connections of a
    masked autoregressive network (section 16.3.4). The masked weights still count as parameters
    (as in PyTorch implementations) but never receive a gradient."""

    def __init__(self, in_features, out_features, mask, bias=True, dtype=None, rng=None):
        super().__init__(in_features, out_features, bias=bias, dtype=dtype, rng=rng)
        mask = np.asarray(mask)
        if mask.shape != (out_features, in_features):
            raise ValueError(f"MaskedLinear: the mask must have shape ({out_features}, {in_features}), got {mask.shape}")
        self.register_buffer("mask", mask.astype(self.weight.dtype), persistent=False)

    def forward(self, x):
        return linear(x, self.weight * self.mask, self.bias)


def made_degrees(dim, hidden):
    """MADE's degrees: input d (0-based) has degree d + 1; hidden unit k of every layer degree
    k mod (D − 1) + 1 (0 when D = 1: such units see no input). A unit of degree m may read inputs of
    degree ≤ m; output d (degree d + 1) reads hidden units of degree ≤ d only."""
    inputs = np.arange(1, dim + 1)
    layers = [np.arange(width) % max(dim - 1, 1) + 1 if dim > 1 else np.zeros(width, np.int64) for width in hidden]
    return inputs, layers


class MADE(Module):
    """`MADE(dim, hidden=(64, 64), outputs_per_dim=2, rng=0, dtype=None)`: a ReLU network D ->
    hidden -> outputs_per_dim·D whose output d (in each group of D) depends on inputs 1..d−1 only
    (masked weights, `made_degrees`). Parameters (masked ones included): Σ_k (D_k + 1) D_{k+1} over
    [D, *hidden, outputs_per_dim·D]."""

    def __init__(self, dim, hidden=(64, 64), outputs_per_dim=2, rng=0, dtype=None):
        super().__init__()
        self.dim = check_int(dim, "dim", "MADE", minimum=1)
        hidden = [check_int(w, "hidden", "MADE", minimum=1) for w in hidden]
        if not hidden:
            raise ValueError("MADE: needs at least one hidden layer")
        gen = as_generator(rng, "MADE")
        inputs, degrees = made_degrees(self.dim, hidden)
        outputs = np.tile(np.arange(1, self.dim + 1), outputs_per_dim)
        masks = [degrees[0][:, None] >= inputs[None, :]]
        masks += [later[:, None] >= earlier[None, :] for earlier, later in zip(degrees[:-1], degrees[1:])]
        masks.append(outputs[:, None] > degrees[-1][None, :])
        sizes = [self.dim, *hidden, outputs_per_dim * self.dim]
        self.layers = ModuleList([MaskedLinear(a, b, m, dtype=dtype, rng=gen)
                                  for a, b, m in zip(sizes[:-1], sizes[1:], masks)])
        self.activation = ReLU()

    def forward(self, x):
        layers = list(self.layers)
        for layer in layers[:-1]:
            x = self.activation(layer(x))
        return layers[-1](x)


class MaskedAffineAutoregressive(FlowLayer):
    """`MaskedAffineAutoregressive(dim, hidden=(64, 64), rng=0, dtype=None)`: one MAF layer.

    Normalizing direction z = (x − μ[x]) ⊙ exp(−α[x]) in one pass of a `MADE` (`conditioner`)
    whose outputs are μ (first D) and α (last D, through `soft_clamp`, |α| < 3); generative
    direction x = z ⊙ exp(α[x]) + μ[x], solved in D passes. log |∂f/∂z| = Σ_d α_d[x]. The last
    layer starts at zero (the identity). Parameters: the MADE's.
    """

    def __init__(self, dim, hidden=(64, 64), rng=0, dtype=None):
        super().__init__()
        self.dim = check_int(dim, "dim", "MaskedAffineAutoregressive", minimum=1)
        self.conditioner = MADE(self.dim, hidden, outputs_per_dim=2, rng=rng, dtype=dtype)
        last = list(self.conditioner.layers)[-1]
        init.zeros_(last.weight)

    def _shift_and_log_scale(self, x):
        out = self.conditioner(x)
        return out[:, :self.dim], soft_clamp(out[:, self.dim:], LOG_SCALE_BOUND)

    def forward(self, z):
        z = check_rows(z, self.dim, "MaskedAffineAutoregressive")
        x = z
        for _ in range(self.dim):   # pass d makes x_d exact, since μ_d, α_d only read x_{1:d−1}
            shift, log_scale = self._shift_and_log_scale(x)
            x = z * log_scale.exp() + shift
        return x

    def inverse(self, x):
        return self.inverse_and_log_det(x)[0]

    def log_abs_det_jacobian(self, z):
        return self.inverse_and_log_det(self.forward(z))[1]

    def inverse_and_log_det(self, x):
        x = check_rows(x, self.dim, "MaskedAffineAutoregressive.inverse")
        shift, log_scale = self._shift_and_log_scale(x)
        return (x - shift) * (-log_scale).exp(), log_scale.sum(-1)


class MaskedAutoregressiveFlow(NormalizingFlow):
    """`MaskedAutoregressiveFlow(dim=2, layers=5, hidden=(64, 64), rng=0, dtype=None)`: MAF layers
    (sections 16.3.4-16.3.5, eqs. 16.15-16.17) with a fixed random permutation between them
    (section 16.3.3: frozen shuffles let every coordinate condition every other), on a N(0, I) base
    density (eq. 16.3).

    Parameters: `layers` MADEs, each Σ_k (D_k + 1) D_{k+1} over [D, *hidden, 2D]: 4,612 for D = 2
    and hidden (64, 64), 23,060 for five layers; the permutations are buffers.
    """

    def __init__(self, dim=2, layers=5, hidden=(64, 64), rng=0, dtype=None):
        gen = as_generator(rng, "MaskedAutoregressiveFlow")
        layers = check_int(layers, "layers", "MaskedAutoregressiveFlow", minimum=1)
        steps = []
        for k in range(layers):
            if k:
                # the reversal in 2-D (a random permutation could be the identity)
                steps.append(Permutation(dim, np.arange(dim)[::-1] if dim == 2 else None, rng=gen))
            steps.append(MaskedAffineAutoregressive(dim, hidden, rng=gen, dtype=dtype))
        super().__init__(FlowSequence(steps))
