"""Variance through residual blocks at initialisation (section 11.3, fig. 11.6) and the gradient growth
of batch norm without skips (chapter 11 Notes, problem 11.10).

Fig. 11.6 (He initialisation, each block f_k = Linear∘ReLU keeps the variance of its input):

    "plain"      h_{k+1} = h_k + f_k[h_k]              the variance doubles per block: 1, 2, 4, 8, ...
    "scaled"     h_{k+1} = (h_k + f_k[h_k]) / √2       constant: 1, 1, 1, ...
    "batchnorm"  h_{k+1} = h_k + f_k[BN[h_k]]          linear: 1, 2, 3, 4, ... (BN gives f unit input)

The block is pre-activation (ReLU then Linear, fig. 11.5), so f_k[h] is zero-mean and uncorrelated
with h (problem 11.4), and the variances add.

Problem 11.10: a plain ReLU network (no skips) as in fig. 7.7 with batch norm (γ = 1, δ = 0) after
each ReLU, f_{k+1} = Ω_{k+1}·BN[ReLU[f_k]]: the forward pass is stable, but the gradients grow going
backward by about √(π/(π − 1)) ≈ 1.21 per layer in magnitude (Yang et al. 2019), i.e. their variance
by π/(π − 1) ≈ 1.47.

Everything runs on the engine in float64, batch norm in training mode (the batch's statistics).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor
from ..checks import as_generator
from ..nn.linear import linear
from ..nn.normalization import BatchNorm1d

VARIANTS = ("plain", "scaled", "batchnorm")
BN_GRADIENT_GROWTH = math.sqrt(math.pi / (math.pi - 1))  # ≈ 1.2118 per layer (chapter 11 Notes)


def theory_variances(variant, blocks) -> list:
    """The variance after each of `blocks` blocks predicted by fig. 11.6, for unit input variance."""
    if variant == "plain":
        return [2.0 ** k for k in range(1, blocks + 1)]
    if variant == "scaled":
        return [1.0] * blocks
    if variant == "batchnorm":
        return [float(k + 1) for k in range(1, blocks + 1)]
    raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")


def _he(gen, width):
    return gen.normal(0.0, math.sqrt(2.0 / width), (width, width))  # He (eq. 7.30): variance 2/D_h


def residual_variances(variant, blocks=16, width=100, batch=1000, rng=0) -> list:
    """The variance (over the batch and the units) of h_1 ... h_blocks for inputs h_0 ~ N(0, I)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    gen = as_generator(rng, "residual_variances")
    h = Tensor(gen.standard_normal((batch, width)))
    out = []
    for _ in range(blocks):
        inner = BatchNorm1d(width, dtype=np.float64)(h) if variant == "batchnorm" else h
        f = linear(inner.relu(), Tensor(_he(gen, width)))       # f_k = Ω ReLU[.], pre-activation
        h = h + f
        if variant == "scaled":
            h = h * (1.0 / math.sqrt(2.0))
        out.append(float(np.var(h.data)))
    return out


def batchnorm_gradient_growth(layers=30, width=100, batch=1000, rng=0) -> dict:
    """Problem 11.10: per-layer variances of the pre-activations f_k and of the gradients ∂L/∂f_k of
    f_0 = Ω_0 x, f_k = Ω_k·BN[ReLU[f_{k−1}]] (He weights, zero biases, least squares to 0 at one output).

    Returns `forward`, `backward` (lists, layer 0 first) and `growth`: the geometric mean factor by
    which the gradient's standard deviation grows per layer going backward (middle layers, away
    from the ends)."""
    gen = as_generator(rng, "batchnorm_gradient_growth")
    def weights(shape):  # requires_grad: the graph is recorded, so the f_k get gradients
        return Tensor(gen.normal(0.0, math.sqrt(2.0 / width), shape), requires_grad=True)

    f = linear(Tensor(gen.standard_normal((batch, width))), weights((width, width)))
    hidden = []
    for _ in range(layers - 1):
        hidden.append(f.retain_grad())
        f = linear(BatchNorm1d(width, dtype=np.float64)(f.relu()), weights((width, width)))
    hidden.append(f.retain_grad())
    out = linear(BatchNorm1d(width, dtype=np.float64)(f.relu()), weights((1, width)))
    (out ** 2).sum().backward()
    forward = [float(np.var(h.data)) for h in hidden]
    backward = [float(np.var(h.grad.data)) for h in hidden]
    lo, hi = 2, layers - 3  # away from the input layer and the output
    growth = (backward[lo] / backward[hi]) ** (1.0 / (2 * (hi - lo)))
    return {"forward": forward, "backward": backward, "growth": float(growth)}
