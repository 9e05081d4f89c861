"""The variational autoencoder of chapter 17: the ELBO, its reparameterised estimate, the
importance-weighted bound, and an MLP encoder/decoder pair.

A VAE is a latent variable model Pr(x | φ) = ∫ Pr(x | z, φ) Pr(z) dz with Pr(z) = N(0, I)
(eqs. 17.5-17.7) trained through the evidence lower bound

    ELBO[θ, φ] = E_q[log Pr(x | z, φ)] − D_KL[q(z | x, θ) ‖ Pr(z)]                  (eqs. 17.18, 17.21)

with the encoder's q(z | x, θ) = N(μ[x], diag σ²[x]) (eq. 17.20). The expectation is estimated
with one draw z* = μ + σ ⊙ ε*, ε* ~ N(0, I) -- the reparameterisation trick (eq. 17.25), which
makes z* a differentiable function of the encoder's outputs (eq. 17.23) -- and the KL term is in
closed form (eq. 17.24): ½ Σ_d (σ_d² + μ_d² − 1 − log σ_d²).

The importance-weighted bound (Burda et al., 2016; named in chapter 17's notes) averages K
importance weights inside the logarithm (eqs. 17.26-17.28's estimator):

    L_K = E[log (1/K) Σ_k Pr(x | z_k) Pr(z_k) / q(z_k | x)],   z_k ~ q(z | x)

L_1 is the ELBO, L_K ≤ L_{K+1} ≤ log Pr(x), and L_K -> log Pr(x) as K grows.
"""
from __future__ import annotations

import math

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....checks import as_generator, check_int
from ....distributions import Bernoulli, Normal, kl_divergence
from ....nn.module import Module, Parameter, default_float_dtype
from ...supervised.deep import DeepNetwork

LIKELIHOODS = ("bernoulli", "gaussian")


class VariationalAutoencoder(Module):
    """Base class: the ELBO and the importance-weighted bound from `encode` and `decode`.

    Subclasses set `latent_dim` and define `encode(x) -> (μ, log σ²)` (each (N, D_z)) and
    `decode(z) -> distribution` over the flattened data (one independent factor per coordinate:
    `Bernoulli` or `Normal`), for z of shape (..., D_z).

    Calling the model, `model(x)`, gives the one-sample ELBO per example (eq. 17.23) with a *fixed*
    noise stream (`noise_seed`): a deterministic function of the parameters (common random
    numbers), so it can be gradient-checked and compared between evaluations. Training draws
    fresh noise for every batch (`elbo_terms(x, rng)`).
    """

    latent_dim: int
    noise_seed = 0

    def encode(self, x):
        raise NotImplementedError

    def decode(self, z):
        raise NotImplementedError

    @staticmethod
    def flatten(x):
        """The data as rows (N, D_x): images (N, 1, 8, 8) become 64-vectors."""
        return x.reshape(x.shape[0], -1)

    def posterior(self, x):
        """q(z | x, θ) = N(μ[x], diag σ²[x]) (eq. 17.20), a `Normal` of batch shape (N, D_z)."""
        mu, log_var = self.encode(x)
        return Normal(mu, (0.5 * log_var).exp())

    def prior(self, dtype):
        """Pr(z) = N(0, I) (eq. 17.5)."""
        return Normal(np.zeros((), dtype), np.ones((), dtype))

    def elbo_terms(self, x, rng):
        """(reconstruction, kl): log Pr(x | z*, φ) per example (N,) with z* = μ + σ ⊙ ε* (eq. 17.25,
        ε* from `rng`), and D_KL[q(z | x) ‖ Pr(z)] per example and latent dimension (N, D_z)
        (eq. 17.24). The ELBO of eq. 17.23 is reconstruction − kl.sum(-1)."""
        x = self._as_tensor(x)
        q = self.posterior(x)
        z = q.rsample(rng=as_generator(rng, f"{type(self).__name__}.elbo_terms"))   # ε* a recorded draw
        reconstruction = self.decode(z).log_prob(self.flatten(x)).sum(-1)
        return reconstruction, kl_divergence(q, self.prior(z.dtype))

    def elbo(self, x, rng, kl_weight=1.0):
        """The one-sample ELBO per example (eq. 17.23); `kl_weight` β scales the KL term (1 is the
        ELBO; β < 1 during a KL warm-up, β > 1 the β-VAE of eq. 17.30)."""
        reconstruction, kl = self.elbo_terms(x, rng)
        return reconstruction - kl_weight * kl.sum(-1)

    def forward(self, x):
        return self.elbo(x, rng=self.noise_seed)

    def iwae(self, x, samples, rng):
        """The importance-weighted bound L_K per example (K = `samples`): log-mean-exp over K draws
        z_k ~ q(z | x) of log Pr(x | z_k) + log Pr(z_k) − log q(z_k | x)."""
        samples = check_int(samples, "samples", f"{type(self).__name__}.iwae", minimum=1)
        x = self._as_tensor(x)
        q = self.posterior(x)
        z = q.rsample((samples,), rng=as_generator(rng, f"{type(self).__name__}.iwae"))    # (K, N, D_z)
        log_weights = (self.decode(z).log_prob(self.flatten(x)).sum(-1) + self.prior(z.dtype).log_prob(z).sum(-1)
                       - q.log_prob(z).sum(-1))
        return log_weights.logsumexp(axis=0) - math.log(samples)

    def sample(self, n, rng=None):
        """`n` generated examples, flattened (n, D_x): the decoder's mean at z ~ N(0, I) (section
        17.8.2 shows the mean, without the decoder's noise)."""
        n = check_int(n, "n", f"{type(self).__name__}.sample", minimum=0)
        z = as_generator(rng, f"{type(self).__name__}.sample").standard_normal((n, self.latent_dim))
        with no_grad():
            return self.decode(Tensor(z.astype(self._dtype()))).mean

    def reconstruct(self, x):
        """The decoder's mean at the posterior mean μ[x], flattened (N, D_x)."""
        with no_grad():
            return self.decode(self.encode(self._as_tensor(x))[0]).mean

    def _dtype(self):
        return next(iter(self.parameters())).dtype

    def _as_tensor(self, x):
        return x if isinstance(x, Tensor) else Tensor(np.asarray(x, self._dtype()))


def decoder_distribution(likelihood, output, log_var=None):
    """Pr(x | z): independent Bernoulli pixels with logits `output` (eq. 5.17), or normals with
    mean `output` and variance exp(log_var) (eq. 17.6)."""
    if likelihood == "bernoulli":
        return Bernoulli(logits=output)
    return Normal(output, (0.5 * log_var).exp())


class MLPVAE(VariationalAutoencoder):
    """`MLPVAE(data_dim, latent_dim=8, hidden=(128,), likelihood="bernoulli", rng=0, dtype=None)`:
    the VAE of fig. 17.9 with ReLU networks (eq. 4.15) as encoder g[x, θ] and decoder f[z, φ].

    - `encoder`: D_x -> hidden -> 2 D_z, the mean μ and log-variance log σ² of q(z | x) (eq. 17.20;
      predicting log σ² keeps σ² > 0).
    - `decoder`: D_z -> reversed(hidden) -> D_x: Bernoulli logits per pixel (`likelihood =
      "bernoulli"`, for binary data) or the mean of a normal (`"gaussian"`, eq. 17.6) whose
      per-coordinate log-variance `decoder_log_var` (D_x) is learned.

    Parameters: Σ_k (D_k + 1) D_{k+1} over [D_x, *hidden, 2 D_z] and over [D_z, *reversed(hidden), D_x],
    plus D_x for a Gaussian decoder. For the 8×8 digits (D_x = 64), D_z = 8, hidden (128,):
    65·128 + 129·16 + 9·128 + 129·64 = 19,792.
    """

    def __init__(self, data_dim, latent_dim=8, hidden=(128,), likelihood="bernoulli", rng=0, dtype=None):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"MLPVAE: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        self.data_dim = check_int(data_dim, "data_dim", "MLPVAE", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", "MLPVAE", minimum=1)
        self.likelihood = likelihood
        gen = as_generator(rng, "MLPVAE")
        hidden = tuple(hidden)
        self.encoder = DeepNetwork(self.data_dim, hidden, 2 * self.latent_dim, rng=gen, dtype=dtype)
        self.decoder = DeepNetwork(self.latent_dim, hidden[::-1], self.data_dim, rng=gen, dtype=dtype)
        if likelihood == "gaussian":
            self.decoder_log_var = Parameter(np.zeros(self.data_dim), dtype=default_float_dtype(dtype))

    def encode(self, x):
        out = self.encoder(self.flatten(x))
        return out[..., :self.latent_dim], out[..., self.latent_dim:]

    def decode(self, z):
        return decoder_distribution(self.likelihood, self.decoder(z), getattr(self, "decoder_log_var", None))
