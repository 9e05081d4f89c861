"""The 1-D GAN of fig. 15.1 (section 15.1, eqs. 15.1-15.7).

The generator only shifts its latent: x* = g[z, θ] = z + θ with z ~ N(0, 1) (eq. 15.1), starting
at θ = 3.0 left of the data; the data are N(μ, 1). The discriminator is logistic regression,
sig[f[x, φ]] with f[x, φ] = φ₀ + φ₁x (the sigmoid curves of fig. 15.1).

For two unit-variance Gaussians the optimal discriminator of eq. 15.7,
Pr(real | x) = Pr(x)/(Pr(x*) + Pr(x)), is exactly logistic in x:

    log N(x; μ, 1) − log N(x; θ, 1) = (μ − θ)x − (μ² − θ²)/2,
    so φ₁* = μ − θ and φ₀* = (θ² − μ²)/2.

Logistic regression can therefore play the game perfectly, and its equilibrium is exact: θ = μ,
φ = 0, sig[f] = 1/2 everywhere, the discriminator's mean loss (eq. 15.3 divided by the batch) is
log 4 and the value function of eq. 15.6 is −log 4 (problem 15.1).
"""
from __future__ import annotations

import math

import numpy as np

from ....checks import as_generator
from ....nn.linear import Linear
from ....nn.module import Module, Parameter, default_float_dtype
from .adversarial import GAN
from .tasks import DATA_MEAN_1D

THETA_START = 3.0    # fig. 15.1: "At initialization θ = 3.0"
EQUILIBRIUM_LOSS = math.log(4.0)   # the discriminator's mean loss at the equilibrium


class ShiftGenerator(Module):
    """x* = z + θ (eq. 15.1): one parameter `theta`, the generated distribution N(θ, 1)."""

    def __init__(self, theta=THETA_START, dtype=None):
        super().__init__()
        self.theta = Parameter(np.full(1, theta, default_float_dtype(dtype)))

    def forward(self, z):
        return z + self.theta


class GAN1D(GAN):
    """`GAN1D(theta=3.0, saturating=True, rng=0)`: fig. 15.1's generator x* = z + θ against a
    logistic-regression discriminator `Linear(1, 1)` (f[x, φ] = φ₀ + φ₁x, a logit).

    3 parameters: θ (generator.theta), φ₁ (discriminator.weight, He-uniform as `nn.Linear`), φ₀
    (discriminator.bias, 0). Examples are (N, 1). The generator's loss is the book's saturating eq.
    15.5 unless `saturating=False`.
    """

    def __init__(self, theta=THETA_START, saturating=True, rng=0, dtype=None):
        gen = as_generator(rng, "GAN1D")
        super().__init__(ShiftGenerator(theta, dtype=dtype), Linear(1, 1, dtype=dtype, rng=gen), latent_shape=1,
                         saturating=saturating)

    @property
    def theta(self) -> float:
        return float(self.generator.theta.data[0])

    @property
    def phi(self) -> tuple:
        """(φ₀, φ₁) of the discriminator's logit φ₀ + φ₁x."""
        return float(self.discriminator.bias.data[0]), float(self.discriminator.weight.data[0, 0])


def optimal_discriminator(theta, mean):
    """(φ₀*, φ₁*) = ((θ² − μ²)/2, μ − θ): eq. 15.7 for data N(μ, 1) against samples N(θ, 1)."""
    return (theta ** 2 - mean ** 2) / 2.0, mean - theta


def expected_discriminator_loss(phi, theta, mean, nodes=300):
    """E_{x~N(μ,1)}[−log sig f(x)] + E_{x*~N(θ,1)}[−log(1 − sig f(x*))] for f(x) = φ₀ + φ₁x: the
    discriminator's mean loss (eq. 15.3 per pair) under the two distributions themselves, by
    Gauss-Hermite quadrature with `nodes` points (to ~1e-11 for slopes |φ₁| up to 5; the softplus
    sharpens as |φ₁| grows, and 80 nodes leave errors of 1e-7 there)."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / math.sqrt(2 * math.pi)   # E_{N(0,1)}[h] = Σ w_i h(x_i)
    phi0, phi1 = phi
    real = np.logaddexp(0.0, -(phi0 + phi1 * (mean + x)))    # softplus(−f) = −log sig f
    fake = np.logaddexp(0.0, phi0 + phi1 * (theta + x))      # softplus(f) = −log(1 − sig f)
    return float(w @ real + w @ fake)


def gan_1d_monitor(model, split, rng):
    """History columns: θ and the discriminator's (φ₀, φ₁)."""
    phi0, phi1 = model.phi
    return {"theta": model.theta, "phi0": phi0, "phi1": phi1}


def gan_1d_rows(model, history, split):
    """θ beside the data's mean, the discriminator's expected loss beside log 4 (its value at the
    equilibrium), Pr(real) beside chance and the slope beside eq. 15.7's optimum for the final θ."""
    theta, phi = model.theta, model.phi
    train_mean = float(np.mean(split.train[0]))
    loss = expected_discriminator_loss(phi, theta, DATA_MEAN_1D)
    logit_at_mean = phi[0] + phi[1] * DATA_MEAN_1D
    return [
        {"metric": "generator's theta (eq. 15.1; starts at 3.0)", "book": None, "ours": theta,
         "note": f"exact: mu = {DATA_MEAN_1D:g}, the data's mean (the training points': {train_mean:.3f})"},
        {"metric": "discriminator's expected loss (eq. 15.3 per pair)", "book": None, "ours": loss,
         "note": f"exact at equilibrium: log 4 = {EQUILIBRIUM_LOSS:.4f} (by quadrature over N(mu,1), N(theta,1))"},
        {"metric": "value function (eq. 15.6) = minus that loss", "book": None, "ours": -loss,
         "note": f"exact at equilibrium: -log 4 = {-EQUILIBRIUM_LOSS:.4f} (problem 15.1)"},
        {"metric": "Pr(real) at x = mu, sig[f[mu, phi]]", "book": 0.5, "ours": 1.0 / (1.0 + math.exp(-logit_at_mean)),
         "note": "book: 'at chance (i.e., 0.5)' (section 15.1.2)"},
        {"metric": "discriminator slope phi_1", "book": None, "ours": phi[1],
         "note": f"eq. 15.7's optimum at our theta: mu - theta = {DATA_MEAN_1D - theta:.4f}"},
    ]
