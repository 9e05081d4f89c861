"""The objectives of chapter 15, per example, from the discriminator's logits or the critic's scores.

Everything is computed from the pre-sigmoid output f[x, φ] (docs/conventions.md, "Generative
models"): −log sig[f] = softplus(−f) and −log(1 − sig[f]) = softplus(f), exact and finite for any
logit.

- `discriminator_terms`: eq. 15.3's two sums, one term per (real, generated) pair; their mean is the
  binary cross-entropy of section 5.4 with real label 1, generated label 0. At the equilibrium of
  the game (generated = real distribution, sig f = 1/2 everywhere, eq. 15.7) the mean is log 4:
  the value function of eq. 15.6 (its negative) is −log 4 (problem 15.1).
- `generator_loss`: the book's L[θ] = Σ_j log(1 − sig[f[g[z_j, θ], φ]]) (eq. 15.5), which saturates
  when the discriminator is confident (fig. 15.6), or the standard non-saturating −Σ_j log sig[f].
- `critic_terms`: eq. 15.16's f[x*_j, φ] − f[x_i, φ] per pair (no sigmoid, no log): minus its mean
  estimates the Wasserstein distance (eq. 15.15) when f is 1-Lipschitz (eq. 15.17).
- `gradient_penalty_terms`: WGAN-GP's (‖∂f/∂x̂‖₂ − 1)² at points x̂ on the lines between real and
  generated samples (a soft form of eq. 15.17); differentiating it differentiates a gradient.
  `GradientPenalty` is the same times its weight λ as a module, so that a drawing of the game
  (`tinygrad-udl graph --model wgan-gp-ring`) shows the double backward as a box of its own.
- `clip_weights_`: the original WGAN's way to bound the Lipschitz constant (section 15.2.6).
"""
from __future__ import annotations

from ....autograd.functional import grad
from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....nn.module import Module

__all__ = ["discriminator_terms", "generator_loss", "critic_terms", "gradient_penalty_terms", "GradientPenalty",
           "clip_weights_"]

# Keeps ‖∂f/∂x̂‖ = sqrt(Σ g² + tiny) differentiable where a gradient vanishes (sqrt' is infinite at 0).
_NORM_FLOOR = 1e-12


def _per_example(logits):
    """(N,) from a discriminator's output of shape (N,) or (N, 1, ...) with one number per example."""
    if logits.ndim > 1:
        if logits.size != logits.shape[0]:
            raise ValueError(f"GAN losses: expected one logit per example, got an output of shape {logits.shape}")
        logits = logits.reshape(logits.shape[0])
    return logits


def discriminator_terms(real_logits, fake_logits):
    """−log sig[f[x_i]] − log(1 − sig[f[x*_i]]) per pair i (eq. 15.3), shape (N,)."""
    real, fake = _per_example(real_logits), _per_example(fake_logits)
    if real.shape != fake.shape:
        raise ValueError(f"discriminator_terms: {real.shape[0]} real and {fake.shape[0]} generated examples; "
                         "pair them one to one")
    return (-real).softplus() + fake.softplus()


def generator_loss(fake_logits, saturating=True):
    """The generator's loss per batch (a mean): the book's saturating (1/J) Σ_j log(1 − sig[f]) (eq.
    15.5), or with `saturating=False` the non-saturating (1/J) Σ_j −log sig[f]."""
    fake = _per_example(fake_logits)
    return (-fake.softplus()).mean() if saturating else (-fake).softplus().mean()


def critic_terms(real_scores, fake_scores):
    """f[x*_i, φ] − f[x_i, φ] per pair i (eq. 15.16), shape (N,)."""
    real, fake = _per_example(real_scores), _per_example(fake_scores)
    if real.shape != fake.shape:
        raise ValueError(f"critic_terms: {real.shape[0]} real and {fake.shape[0]} generated examples; "
                         "pair them one to one")
    return fake - real


def gradient_penalty_terms(critic, real, fake, mix):
    """(‖∂f/∂x̂_i‖₂ − 1)² at x̂_i = u_i x_i + (1 − u_i) x*_i, shape (N,).

    `real` and `fake` are (N, ...) Tensors, `mix` the weights u_i (N,) in [0, 1]. x̂ is a new leaf
    (the generated samples are constants of the critic's step); the gradient keeps its graph
    (create_graph=True), so the penalty's own gradient with respect to the critic's parameters
    differentiates through ∂f/∂x̂ -- second order. Row i of ∂(Σ_j f[x̂_j])/∂x̂ is ∂f[x̂_i]/∂x̂_i only
    if the critic treats examples independently: no batch norm in a WGAN-GP critic."""
    u = mix.reshape((-1,) + (1,) * (real.ndim - 1))
    x_hat = Tensor._wrap((u * real.data + (1 - u) * fake.data).astype(real.dtype), requires_grad=True)
    (slope,) = grad(critic(x_hat).sum(), x_hat, create_graph=True)
    squared = (slope * slope).reshape(slope.shape[0], -1).sum(axis=1)
    return ((squared + _NORM_FLOOR).sqrt() - 1.0) ** 2


class GradientPenalty(Module):
    """`GradientPenalty(weight=10.0)`: `penalty(critic, real, fake, mix)` = λ·(‖∂f/∂x̂_i‖₂ − 1)² per
    pair (`gradient_penalty_terms`); no parameters."""

    def __init__(self, weight=10.0):
        super().__init__()
        if not weight > 0:
            raise ValueError(f"GradientPenalty: the weight must be > 0, got {weight}")
        self.weight = float(weight)

    def forward(self, critic, real, fake, mix):
        return self.weight * gradient_penalty_terms(critic, real, fake, mix)

    def extra_repr(self):
        return f"weight={self.weight}"


def clip_weights_(module, bound):
    """Clip every parameter of `module` to [−bound, bound] in place (the original WGAN, section 15.2.6)."""
    if not bound > 0:
        raise ValueError(f"clip_weights_: bound must be > 0, got {bound}")
    with no_grad():
        for p in module.parameters():
            p.clamp_(-bound, bound)
