"""The two players of chapter 15 as one module: a generator g[z, θ] and a discriminator f[x, φ].

`GAN` plays the game of eqs. 15.3-15.5 (binary cross-entropy, discriminator output a logit);
`WGAN` the Wasserstein game of eq. 15.16 (the discriminator is a *critic* with a real-valued
score), with weight clipping or, as `WGANGP`, a gradient penalty. Each model knows

- `latent(n, rng)`: z from the base distribution (standard normal; the DCGAN's uniform, §15.1.3);
- `objective_terms(x, fake)`: the game's loss per (real, generated) pair, shape (N,): eq. 15.3's
  terms or eq. 15.16's;
- `discriminator_terms(x, rng)`: the same for N fresh generated examples, plus a WGAN-GP's penalty;
- `generator_loss(n, rng)`: the generator's loss on n fresh samples (a mean);
- `after_discriminator_step()`: what follows every discriminator update (WGAN: clipping);
- `sample(n, rng)`: n generated examples as a numpy array (evaluation mode, no graph).

Calling the model on a batch of real examples, `model(x)`, gives `discriminator_terms(x, rng)`
with noise drawn from the fixed seed `noise_seed`: the value of one step of the game as a
deterministic function of both players' parameters (drawings, gradient checks). Its gradient with
respect to φ is the discriminator's; the generator *ascends* it (eq. 15.4), which for the GAN is
the book's saturating generator loss (eq. 15.5) and for the WGAN eq. 15.16's −Σ_j f[x*_j, φ]
(the penalty excepted: it only constrains the critic). Training (`training.train_adversarial`)
draws fresh noise and holds the generated samples fixed during the discriminator's step.
"""
from __future__ import annotations

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import tensor
from ....compile.recorder import drawn
from ....nn.module import Module
from .losses import GradientPenalty, clip_weights_, critic_terms, discriminator_terms, generator_loss

LATENTS = ("normal", "uniform")


class AdversarialPair(Module):
    """`generator` maps latents (N, *latent_shape) to examples; the second player (attribute
    `discriminator`, or `critic` for WGANs; `adversary` either way) maps examples to one number each."""

    adversary_name = "discriminator"

    def __init__(self, generator, adversary, latent_shape, latent="normal", noise_seed=0):
        super().__init__()
        if latent not in LATENTS:
            raise ValueError(f"{type(self).__name__}: latent must be one of {LATENTS}, got {latent!r}")
        self.generator = generator
        setattr(self, self.adversary_name, adversary)
        self.latent_shape = tuple(int(d) for d in np.atleast_1d(latent_shape))
        self.latent_distribution = latent
        self.noise_seed = int(noise_seed)

    @property
    def adversary(self):
        return getattr(self, self.adversary_name)

    def _dtype(self):
        return next(iter(self.adversary.parameters())).dtype

    def latent(self, n, rng):
        """z (n, *latent_shape): standard normal, or uniform on [−1, 1] (the DCGAN's, §15.1.3). A draw
        that a compiled training step makes anew at every replay (`compile.recorder.drawn`)."""
        return drawn(_draw_latent, rng, (n, *self.latent_shape), self.latent_distribution, self._dtype())

    def generate(self, n, rng):
        """x*_j = g[z_j, θ] for n fresh latents (section 15.1), as a Tensor in the graph."""
        return self.generator(self.latent(n, rng))

    def _generate_for_discriminator(self, n, rng, detach):
        """n generated examples; with `detach` constants (no graph through the generator)."""
        if not detach:
            return self.generate(n, rng)
        with no_grad():
            return self.generate(n, rng)

    def sample(self, n, rng=0):
        """n generated examples (numpy), in evaluation mode (batch norm: running statistics)."""
        rng = np.random.default_rng(rng)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return self.generate(n, rng).data
        finally:
            self.train(was_training)

    def forward(self, x):
        return self.discriminator_terms(tensor(x), np.random.default_rng(self.noise_seed))

    def objective_terms(self, x, fake):
        """The discriminator's loss per pair (x_i, x*_i) of real and generated examples, shape (N,)."""
        raise NotImplementedError

    def discriminator_terms(self, x, rng, detach=False):
        """What the discriminator minimises, per pair, for the N real examples `x` and N generated
        from `rng`; `detach` holds the generated ones fixed (the discriminator's training step)."""
        return self.objective_terms(x, self._generate_for_discriminator(x.shape[0], rng, detach))

    def generator_loss(self, n, rng):
        raise NotImplementedError

    def after_discriminator_step(self):
        """Called after every update of the discriminator (nothing, unless a WGAN clips)."""


def _draw_latent(rng, shape, distribution, dtype):
    z = rng.standard_normal(shape) if distribution == "normal" else rng.uniform(-1.0, 1.0, shape)
    return z.astype(dtype)


class GAN(AdversarialPair):
    """The GAN of section 15.1: the discriminator's loss is eq. 15.3 per pair (its mean is the
    binary cross-entropy with real label 1, generated label 0), the generator's the book's
    saturating eq. 15.5 or, with `saturating=False`, the non-saturating −log sig[f[x*]]."""

    def __init__(self, generator, discriminator, latent_shape, latent="normal", saturating=True, noise_seed=0):
        super().__init__(generator, discriminator, latent_shape, latent, noise_seed)
        self.saturating = bool(saturating)

    def objective_terms(self, x, fake):
        return discriminator_terms(self.discriminator(x), self.discriminator(fake))

    def generator_loss(self, n, rng):
        return generator_loss(self.discriminator(self.generate(n, rng)), self.saturating)


class WGAN(AdversarialPair):
    """The Wasserstein GAN of sections 15.2.3-15.2.6: the critic's loss is eq. 15.16 per pair,
    f[x*_i, φ] − f[x_i, φ], the generator's −(1/J) Σ_j f[x*_j, φ]. The Lipschitz constraint (eq.
    15.17) is imposed by clipping the critic's parameters to [−clip, clip] after each of its steps
    and/or by adding `penalty`·(‖∂f/∂x̂‖ − 1)² at random points x̂ between real and generated pairs
    (the module `gradient_penalty`, None without a penalty)."""

    adversary_name = "critic"

    def __init__(self, generator, critic, latent_shape, latent="normal", clip=0.01, penalty=None, noise_seed=0):
        super().__init__(generator, critic, latent_shape, latent, noise_seed)
        if clip is not None and not clip > 0:
            raise ValueError(f"{type(self).__name__}: clip must be > 0 (or None), got {clip}")
        self.clip = clip
        self.gradient_penalty = None if penalty is None else GradientPenalty(penalty)

    def objective_terms(self, x, fake):
        return critic_terms(self.critic(x), self.critic(fake))

    def discriminator_terms(self, x, rng, detach=False):
        fake = self._generate_for_discriminator(x.shape[0], rng, detach)
        terms = self.objective_terms(x, fake)
        if self.gradient_penalty is None:
            return terms
        mix = rng.uniform(0.0, 1.0, x.shape[0])  # x̂_i = u_i x_i + (1 − u_i) x*_i, u_i ~ U[0, 1]
        return terms + self.gradient_penalty(self.critic, x, fake, mix)

    def generator_loss(self, n, rng):
        return -self.critic(self.generate(n, rng)).mean()

    def after_discriminator_step(self):
        if self.clip is not None:
            clip_weights_(self.critic, self.clip)


class WGANGP(WGAN):
    """WGAN-GP: eq. 15.16 plus λ·(‖∂f/∂x̂‖₂ − 1)² (λ = 10, the standard value) and no clipping."""

    def __init__(self, generator, critic, latent_shape, latent="normal", penalty=10.0, noise_seed=0):
        super().__init__(generator, critic, latent_shape, latent, clip=None, penalty=penalty, noise_seed=noise_seed)
