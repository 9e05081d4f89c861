"""A linear VAE and probabilistic PCA: the VAE whose log-likelihood is known in closed form.

Probabilistic PCA (Tipping & Bishop, 1999; chapter 17's notes) is the latent variable model of
eqs. 17.5-17.7 with a *linear* decoder:

    z ~ N(0, I_{D_z}),   x = W z + μ + ε,   ε ~ N(0, σ² I)   =>   Pr(x) = N(x; μ, W Wᵀ + σ² I)

so the exact log-likelihood that the ELBO bounds can be printed beside it. Its maximum-likelihood
solution is in closed form: with λ_1 ≥ λ_2 ≥ ... the eigenvalues (eigenvectors u_i) of the data's
covariance, σ² = the mean of the D_x − D_z smallest and W = U (Λ − σ² I)^½ (any rotation on the
right). With σ² *fixed*, the same solution keeps only the directions with λ_i > σ²: a latent
dimension whose λ_i ≤ σ² gets w_i = 0, its posterior equals the prior and its KL term is 0 --
posterior collapse, with the decoder's noise explaining that direction (Lucas et al., 2019). At
that optimum the posterior of z_i has variance σ²/λ_i and the KL per dimension is ½ log(λ_i/σ²)
(averaged over the data), which `collapse_prediction` returns.
"""
from __future__ import annotations

import numpy as np

from ....autograd.tensor import Tensor
from ....checks import as_generator, check_int
from ....distributions import MultivariateNormal
from ....nn.linear import Linear
from ....nn.module import Parameter, default_float_dtype
from .model import VariationalAutoencoder, decoder_distribution


class LinearVAE(VariationalAutoencoder):
    """`LinearVAE(data_dim, latent_dim, decoder_variance=None, rng=0, dtype=None)`: probabilistic
    PCA trained as a VAE.

    - Encoder (eq. 17.20 with linear g): μ[x] = V x + a (`encoder`, a Linear D_x -> D_z) and a
      log-variance `encoder_log_var` (D_z) that does not depend on x -- the true posterior of this
      model has a covariance that does not either, so only its diagonal restriction is lost.
    - Decoder: Pr(x | z) = N(W z + μ, σ² I) (`decoder`: weight W, bias μ) with log σ² the scalar
      parameter `decoder_log_var`, or σ² = `decoder_variance` fixed (a buffer; see posterior
      collapse in the module docstring).

    Parameters: (D_x + 1) D_z + D_z + (D_z + 1) D_x (+ 1 with a learned σ²).
    `exact_log_likelihood(x)` is log N(x; μ, W Wᵀ + σ² I).
    """

    def __init__(self, data_dim, latent_dim, decoder_variance=None, rng=0, dtype=None):
        super().__init__()
        self.data_dim = check_int(data_dim, "data_dim", "LinearVAE", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", "LinearVAE", minimum=1)
        dtype = default_float_dtype(dtype)
        gen = as_generator(rng, "LinearVAE")
        self.encoder = Linear(self.data_dim, self.latent_dim, dtype=dtype, rng=gen)
        self.encoder_log_var = Parameter(np.zeros(self.latent_dim), dtype=dtype)
        self.decoder = Linear(self.latent_dim, self.data_dim, dtype=dtype, rng=gen)
        if decoder_variance is None:
            self.decoder_log_var = Parameter(np.zeros(()), dtype=dtype)
        else:
            if not decoder_variance > 0:
                raise ValueError(f"LinearVAE: decoder_variance must be > 0, got {decoder_variance}")
            self.register_buffer("decoder_log_var", np.asarray(np.log(decoder_variance), dtype))

    def encode(self, x):
        mu = self.encoder(self.flatten(x))
        return mu, self.encoder_log_var * np.ones(mu.shape, mu.dtype)

    def decode(self, z):
        return decoder_distribution("gaussian", self.decoder(z), self._decoder_log_var())

    def _decoder_log_var(self):
        """log σ²: the parameter, or the fixed buffer as a constant Tensor."""
        log_var = self.decoder_log_var
        return log_var if isinstance(log_var, Tensor) else Tensor(log_var)

    def marginal(self):
        """Pr(x | φ) = N(μ, W Wᵀ + σ² I): the integral of eq. 17.7, exact for a linear decoder."""
        weight = self.decoder.weight
        covariance = weight @ weight.T + self._decoder_log_var().exp() * np.eye(self.data_dim, dtype=weight.dtype)
        return MultivariateNormal(self.decoder.bias, covariance_matrix=covariance)

    def exact_log_likelihood(self, x):
        """log Pr(x | φ) per example, in closed form."""
        return self.marginal().log_prob(self.flatten(self._as_tensor(x)))


def sample_ppca(n, weight, mean, noise_std, rng):
    """`n` rows x = W z + μ + ε with z ~ N(0, I) and ε ~ N(0, noise_std² I) (numpy, float64)."""
    gen = as_generator(rng, "sample_ppca")
    weight = np.asarray(weight, np.float64)
    z = gen.standard_normal((n, weight.shape[1]))
    return z @ weight.T + mean + noise_std * gen.standard_normal((n, weight.shape[0]))


def gaussian_log_pdf(x, mean, covariance):
    """log N(x; μ, Σ) per row, by numpy in float64 (references for tables and tests, independent of
    the autograd engine)."""
    x = np.asarray(x, np.float64)
    chol = np.linalg.cholesky(covariance)
    solved = np.linalg.solve(chol, (x - mean).T)
    return -0.5 * ((solved ** 2).sum(0) + 2 * np.log(np.diag(chol)).sum() + len(mean) * np.log(2 * np.pi))


def ppca_log_likelihood(x, weight, mean, noise_variance):
    """log N(x; μ, W Wᵀ + σ² I) per row (numpy, float64)."""
    return gaussian_log_pdf(x, mean, weight @ weight.T + noise_variance * np.eye(len(mean)))


def ppca_fit(x, latent_dim, noise_variance=None):
    """The maximum-likelihood probabilistic PCA (Tipping & Bishop, 1999) of the rows of `x`:
    (W, μ, σ²) with μ the mean, σ² the mean of the smallest D_x − D_z eigenvalues of the (1/N)
    covariance unless `noise_variance` is given, and W = U (max(Λ − σ², 0))^½ on the top D_z
    eigenvectors."""
    x = np.asarray(x, np.float64)
    mean = x.mean(0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(x, rowvar=False, bias=True))
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    if noise_variance is None:
        noise_variance = float(eigenvalues[latent_dim:].mean())
    scales = np.sqrt(np.maximum(eigenvalues[:latent_dim] - noise_variance, 0.0))
    return eigenvectors[:, :latent_dim] * scales, mean, noise_variance


def collapse_prediction(x, latent_dim, noise_variance):
    """The KL term per latent dimension at the optimum of a linear VAE with the decoder variance
    fixed at σ² (module docstring): ½ log(λ_i/σ²) for the D_z largest eigenvalues λ_i above σ², 0
    for the others (collapsed), in decreasing order."""
    x = np.asarray(x, np.float64)
    eigenvalues = np.linalg.eigvalsh(np.cov(x, rowvar=False, bias=True))[::-1][:latent_dim]
    return 0.5 * np.log(np.maximum(eigenvalues / noise_variance, 1.0))
