"""Fig. 7.7: how the weight variance σ²_Ω makes activations and gradients explode or vanish (section 7.5).

The book's setup: a deep ReLU network with 50 hidden layers of D_h = 100 units, 100-D inputs
x ~ N(0, I), a single fixed target y = 0, a least-squares loss, zero biases and weights
Ω_k ~ N(0, σ²_Ω) for σ²_Ω ∈ {0.001, 0.01, 0.02, 0.1, 1.0}. Through a ReLU layer the variance of the
pre-activations is multiplied by D_h·σ²_Ω/2 (eqs. 7.26-7.29) and, in the backward pass, so is the
variance of the gradients ∂ℓ/∂f_k (eq. 7.31). So σ²_Ω = 2/D_h = 0.02 (He, eq. 7.30) keeps both
stable; larger values make them explode and smaller ones vanish, exponentially in the depth.

Measured here on the engine: a forward pass through `nn.functional`'s linear maps in float64 (σ²_Ω = 1 reaches
~1e85, beyond float32), `retain_grad()` on every pre-activation f_k, one `backward()`, then the
variance over the batch and the units of each f_k and each ∂ℓ/∂f_k.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...autograd.tensor import Tensor
from ...checks import as_generator
from ...nn.linear import linear

FIG_7_7_SIGMA2 = (0.001, 0.01, 0.02, 0.1, 1.0)
STABLE_FACTOR = 10.0  # "stable": the last layer's variance within a factor 10 of the first layer's


@dataclass(frozen=True)
class VarianceProfile:
    """Per-layer variances for one weight variance σ²_Ω.

    Attributes:
        sigma2: σ²_Ω.
        forward: variance of the pre-activations f_0 ... f_{K-1} of the K hidden layers (fig. 7.7a).
        backward: variance of the gradients ∂ℓ/∂f_0 ... ∂ℓ/∂f_{K-1} (fig. 7.7b).
        width: D_h.
    """

    sigma2: float
    forward: np.ndarray
    backward: np.ndarray
    width: int

    @property
    def theory_factor(self) -> float:
        """The per-layer factor D_h·σ²_Ω/2 of eq. 7.29 (forward) and eq. 7.31 (backward)."""
        return self.width * self.sigma2 / 2

    def log10_ratio(self, which="forward") -> float:
        """log10 of the growth across the network: var(f_{K-1})/var(f_0) forward, var(∂ℓ/∂f_0)/var(∂ℓ/∂f_{K-1})
        backward (the direction the gradients travel)."""
        v = self.forward if which == "forward" else self.backward[::-1]
        return float(np.log10(v[-1]) - np.log10(v[0]))

    def theory_log10_ratio(self) -> float:
        """(K − 1)·log10(D_h·σ²_Ω/2): the growth eqs. 7.29 and 7.31 predict over the K − 1 ReLU layers."""
        return (len(self.forward) - 1) * math.log10(self.theory_factor)


def layer_variances(weights, x):
    """Variances of the pre-activations and of their gradients in a bias-free deep ReLU network.

    `weights` are the matrices Ω_0 ... Ω_K (out × in, `Linear.weight`'s layout), `x` the inputs (batch × D_i).
    The network is f_0 = Ω_0 x, f_k = Ω_k ReLU(f_{k−1}) (eq. 7.16 with β_k = 0), the loss the least
    squares Σ (f_K − 0)² over the batch (target y = 0). Returns `(forward, backward)`, each with one
    variance (over the batch and the units) per hidden layer f_0 ... f_{K−1}.
    """
    omegas = [Tensor(np.asarray(w, dtype=np.float64), requires_grad=True) for w in weights]
    f = linear(Tensor(np.asarray(x, dtype=np.float64)), omegas[0])
    hidden = []
    for omega in omegas[1:]:
        hidden.append(f.retain_grad())
        f = linear(f.relu(), omega)
    loss = (f ** 2).sum()  # least squares against the fixed target y = 0
    loss.backward()
    forward = np.array([np.var(h.data) for h in hidden])
    backward = np.array([np.var(h.grad.data) for h in hidden])
    return forward, backward


def variance_propagation(sigma2s=FIG_7_7_SIGMA2, layers=50, width=100, batch=1000, rng=0) -> dict:
    """Fig. 7.7: σ²_Ω -> `VarianceProfile` for a network of `layers` hidden layers of `width` ReLU units.

    Inputs x ~ N(0, I) of dimension `width` (batch × width), one output, weights N(0, σ²_Ω), biases 0.
    `rng` (int seed or Generator) draws the inputs once and then each σ²_Ω's weights.
    """
    for name, value in (("layers", layers), ("width", width), ("batch", batch)):
        if not isinstance(value, int | np.integer) or value < 2:
            raise ValueError(f"variance_propagation: {name} must be an integer >= 2, got {value!r}")
    if any(not s > 0 for s in sigma2s):
        raise ValueError(f"variance_propagation: every weight variance must be > 0, got {list(sigma2s)}")
    gen = as_generator(rng, "variance_propagation")
    x = gen.standard_normal((batch, width))
    shapes = [(width, width)] * layers + [(1, width)]
    profiles = {}
    for s2 in sigma2s:
        weights = [gen.normal(0.0, math.sqrt(s2), shape) for shape in shapes]
        forward, backward = layer_variances(weights, x)
        profiles[s2] = VarianceProfile(float(s2), forward, backward, int(width))
    return profiles


def variance_rows(profiles) -> list:
    """Result rows (metric, book, ours, note) comparing `variance_propagation`'s output with eqs. 7.29/7.31."""
    rows = []
    for s2, p in profiles.items():
        theory = p.theory_log10_ratio()
        note = f"book: theory of eqs. 7.29/7.31, (K−1)·log10(D_h σ²/2), ×{p.theory_factor:g} per layer (fig. 7.7 has no numbers)"
        for which, what in (("forward", "var f_{K-1} / var f_0"), ("backward", "var dl/df_0 / var dl/df_{K-1}")):
            rows.append({"model": "fig7.7-init", "metric": f"sigma^2={s2:g}: log10 {what} ({which})",
                         "book": round(theory, 2), "ours": round(p.log10_ratio(which), 2), "note": note})
    he = 2 / next(iter(profiles.values())).width
    if he in profiles:
        p = profiles[he]
        stable = all(abs(p.log10_ratio(w)) < math.log10(STABLE_FACTOR) for w in ("forward", "backward"))
        rows.append({"model": "fig7.7-init", "metric": f"stable at sigma^2 = 2/D_h = {he:g} (within x{STABLE_FACTOR:g})",
                     "book": "yes", "ours": "yes" if stable else "no",
                     "note": f"forward x{10 ** p.log10_ratio('forward'):.3g}, "
                             f"backward x{10 ** p.log10_ratio('backward'):.3g}"})
    return rows
