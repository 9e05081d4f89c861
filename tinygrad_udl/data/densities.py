"""Densities with known log-densities, for the generative models of chapters 14-18.

A generative model's test negative log-likelihood can be no lower than the entropy of the data's
own density (eq. 14.x's log-likelihood, section 14.3): a mixture of Gaussians gives that floor
exactly, so each experiment can print the best achievable number beside ours.

    GaussianMixture(means, covariances, weights)   .sample(n, rng), .log_prob(x), .entropy()
    ring_of_gaussians(k=8)                          the GAN mode-collapse benchmark (section 15.3)
    two_moons(noise=0.1)                            two half circles blurred by Gaussian noise

Two moons are a density along two curves convolved with a Gaussian; it is represented here as an
equal mixture of many narrow Gaussians along the curves, which *is* its density up to the
discretisation of the curve (1,000 points, 0.006 apart: far below the noise scale), so sampling and log_prob
stay exact for the object they describe. Everything is numpy (no gradients: these are data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_int

__all__ = ["GaussianMixture", "ring_of_gaussians", "two_moons"]


@dataclass(frozen=True)
class GaussianMixture:
    """Σ_k w_k N(x; μ_k, Σ_k) in D dimensions: `means` (K, D), `covariances` (K, D, D) or, for
    isotropic components, (K,) variances; `weights` (K,) summing to 1."""

    means: np.ndarray
    covariances: np.ndarray
    weights: np.ndarray

    def __post_init__(self):
        means = np.atleast_2d(np.asarray(self.means, dtype=np.float64))
        k, d = means.shape
        cov = np.asarray(self.covariances, dtype=np.float64)
        if cov.shape == (k,):
            cov = cov[:, None, None] * np.eye(d)
        weights = np.asarray(self.weights, dtype=np.float64)
        if cov.shape != (k, d, d) or weights.shape != (k,):
            raise ValueError(f"GaussianMixture: means {means.shape} need covariances of shape ({k}, {d}, {d}) or "
                             f"({k},) and weights of shape ({k},); got {cov.shape} and {weights.shape}")
        if np.any(weights < 0) or not math.isclose(weights.sum(), 1.0, rel_tol=1e-9):
            raise ValueError(f"GaussianMixture: weights must be >= 0 and sum to 1, got sum {weights.sum():.6g}")
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError("GaussianMixture: every covariance must be symmetric positive definite") from None
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", cov)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "_chol", chol)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n, rng):
        """`n` samples, shape (n, D), from `rng` (a numpy Generator or an int seed)."""
        n = check_int(n, "n", "GaussianMixture.sample", minimum=0)
        gen = as_generator(rng, "GaussianMixture.sample")
        component = gen.choice(len(self.weights), size=n, p=self.weights)
        noise = gen.standard_normal((n, self.dim))
        return self.means[component] + np.einsum("nij,nj->ni", self._chol[component], noise)

    def component_log_probs(self, x):
        """log w_k + log N(x_n; μ_k, Σ_k), shape (n, K)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[-1] != self.dim:
            raise ValueError(f"GaussianMixture.log_prob: points of shape {x.shape} for a {self.dim}-D mixture")
        log_det = 2 * np.log(np.diagonal(self._chol, axis1=-2, axis2=-1)).sum(-1)   # log |Σ_k|
        variances = self.covariances[:, 0, 0]
        if np.array_equal(self.covariances, variances[:, None, None] * np.eye(self.dim)):
            # isotropic (the ring, the moons' thousands of components): squared distances, no solves
            distance2 = (x * x).sum(1)[:, None] - 2 * x @ self.means.T + (self.means ** 2).sum(1)[None]
            mahalanobis = np.maximum(distance2, 0.0) / variances
        else:
            diff = x[:, None, :] - self.means[None]                                  # (n, K, D)
            mahalanobis = (np.linalg.solve(self._chol[None], diff[..., None])[..., 0] ** 2).sum(-1)
        log_normal = -0.5 * (mahalanobis + log_det + self.dim * math.log(2 * math.pi))
        with np.errstate(divide="ignore"):
            return log_normal + np.log(self.weights)

    def log_prob(self, x):
        """log p(x) for points x of shape (n, D) (or (D,)), computed with log-sum-exp."""
        logs = self.component_log_probs(x)
        top = logs.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(logs - top).sum(axis=1, keepdims=True)))[:, 0]

    def entropy(self, samples=200_000, rng=0):
        """H[p] = −E_p[log p(x)] in nats: the lowest expected NLL any model can reach. There is no
        closed form for a mixture; in 1-D and 2-D it is integrated on a grid (to ~1e-6), otherwise
        estimated by Monte Carlo with `samples` draws."""
        if self.dim <= 2:
            return self._grid_entropy()
        return float(-self.log_prob(self.sample(samples, rng)).mean())

    def _grid_entropy(self, points=(20_001, 301)):
        spread = np.sqrt(np.einsum("kii->ki", self.covariances)).max(axis=0)
        low, high = self.means.min(axis=0) - 9 * spread, self.means.max(axis=0) + 9 * spread
        n = points[self.dim - 1]
        axes = [np.linspace(lo, hi, n) for lo, hi in zip(low, high)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, self.dim)
        cell = np.prod([(a[1] - a[0]) for a in axes])
        total = 0.0
        for chunk in np.array_split(grid, max(1, len(grid) // 20_000)):
            log_p = self.log_prob(chunk)
            total -= float(np.sum(np.exp(log_p) * log_p))
        return total * cell


def ring_of_gaussians(k=8, radius=2.0, std=0.05):
    """`k` equal Gaussians of standard deviation `std` on a circle of `radius`: the 2-D benchmark on
    which GANs show mode collapse (fig. 15.x, section 15.3); a model covers the modes it samples."""
    k = check_int(k, "k", "ring_of_gaussians", minimum=1)
    angles = 2 * np.pi * np.arange(k) / k
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(means, np.full(k, std ** 2), np.full(k, 1.0 / k))


def two_moons(noise=0.1, points=1_000):
    """The two interleaved half circles of `make_moons` (unit radius, the lower one shifted by
    (1, −0.5)), blurred by isotropic Gaussian noise of standard deviation `noise`, as an exact
    density: an equal mixture along the curves (see the module docstring)."""
    if not noise > 0:
        raise ValueError(f"two_moons: noise must be > 0 for a density to exist, got {noise}")
    s = (np.arange(points // 2) + 0.5) / (points // 2) * np.pi
    upper = np.stack([np.cos(s), np.sin(s)], axis=1)
    lower = np.stack([1 - np.cos(s), 0.5 - np.sin(s)], axis=1)
    means = np.concatenate([upper, lower])
    return GaussianMixture(means, np.full(len(means), noise ** 2), np.full(len(means), 1.0 / len(means)))
