"""How close are a sampler's outputs to the data density? Exact bin probabilities and distances.

For mixtures of Gaussians with diagonal covariances (the 1-D mixture, the ring, the moons) the
probability of a rectangular bin is a sum of products of normal CDFs, so the data side of every
comparison is exact; the model side is a histogram of samples, or, in 1-D, the exact output
distribution of Algorithm 18.2 propagated on a grid (`sampler_bin_masses_1d`), free of sampling
noise. The distance is the total variation ½ Σ_b |p_b − q_b| (0 = identical, 1 = disjoint) on the
bins, whose outer bins reach to ±∞ so that both sides sum to 1.
"""
from __future__ import annotations

import numpy as np

__all__ = ["bin_masses", "histogram", "total_variation", "mixture_quantiles", "sampler_bin_masses_1d"]


def _padded(edges):
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bin edges must be an increasing 1-D array of at least two values")
    return np.concatenate([[-np.inf], edges, [np.inf]])


def _diagonal_stds(mixture):
    covariances = mixture.covariances
    variances = np.einsum("kii->ki", covariances)
    if not np.allclose(covariances, variances[:, :, None] * np.eye(mixture.dim)):
        raise ValueError("bin_masses: the mixture's covariances must be diagonal (bins are then products of "
                         "one-dimensional normal probabilities)")
    return np.sqrt(variances)


def bin_masses(mixture, edges):
    """The exact probability of every bin under `mixture`: `edges` holds one increasing array per
    dimension, each padded with ±∞; the result has shape (len(e_1) + 1, ..., len(e_D) + 1)."""
    from scipy.special import ndtr

    edges = [edges] if mixture.dim == 1 and np.ndim(edges[0]) == 0 else list(edges)
    if len(edges) != mixture.dim:
        raise ValueError(f"bin_masses: {len(edges)} arrays of edges for a {mixture.dim}-D mixture")
    stds = _diagonal_stds(mixture)
    masses = mixture.weights
    for d, e in enumerate(edges):
        cdf = ndtr((_padded(e)[None, :] - mixture.means[:, d:d + 1]) / stds[:, d:d + 1])   # (K, B+1)
        per_component = np.diff(cdf, axis=1)                                               # (K, B)
        masses = masses[..., None] * per_component.reshape(len(per_component), *([1] * d), -1)
    return masses.sum(axis=0)


def histogram(samples, edges):
    """The fraction of `samples` (n, D) in each bin of `bin_masses(·, edges)` (same shape)."""
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    edges = [edges] if samples.shape[1] == 1 and np.ndim(edges[0]) == 0 else list(edges)
    if len(edges) != samples.shape[1]:
        raise ValueError(f"histogram: {len(edges)} arrays of edges for {samples.shape[1]}-D samples")
    index = tuple(np.searchsorted(_padded(e), samples[:, d], side="right") - 1 for d, e in enumerate(edges))
    counts = np.zeros([len(e) + 1 for e in edges])
    np.add.at(counts, index, 1.0)
    return counts / len(samples)


def total_variation(p, q) -> float:
    """½ Σ |p − q| for two arrays of bin probabilities of the same shape."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"total_variation: shapes {p.shape} and {q.shape} differ")
    return float(0.5 * np.abs(p - q).sum())


def mixture_quantiles(mixture, probabilities):
    """The exact quantiles of a 1-D mixture (its CDF Σ_k w_k Φ((x − μ_k)/s_k) inverted by bisection)."""
    from scipy.optimize import brentq
    from scipy.special import ndtr

    if mixture.dim != 1:
        raise ValueError(f"mixture_quantiles: the mixture must be 1-D, not {mixture.dim}-D")
    means, stds = mixture.means[:, 0], _diagonal_stds(mixture)[:, 0]
    low, high = (means - 40 * stds).min(), (means + 40 * stds).max()

    def cdf(x):
        return float(mixture.weights @ ndtr((x - means) / stds))

    return np.array([brentq(lambda x: cdf(x) - p, low, high, xtol=1e-12) for p in probabilities])


def sampler_bin_masses_1d(predict_noise, schedule, sigma, edges, grid, refine=20):
    """The exact output distribution of ancestral sampling (Algorithm 18.2) for 1-D data, on bins.

    `predict_noise(z, t)` maps grid points (G, 1) to ε-predictions (G, 1). The density of z_T =
    N(0, 1) is held as probabilities on the equally spaced `grid`; each step t = T..2 moves every
    grid point's probability to N(f_t[z], σ_t²) (eq. 18.35), discretised on the grid (each column
    normalised, so no probability is lost), and the last step maps z_1 to x = f_1[z_1] without noise
    (on a grid `refine` times finer).
    Returns the probabilities of the bins of `bin_masses(·, edges)`."""
    grid = np.asarray(grid, dtype=np.float64)
    points = grid[:, None]
    probability = np.exp(-0.5 * grid ** 2)
    probability /= probability.sum()
    for t in range(schedule.steps, 1, -1):
        mean = schedule.reverse_mean(points, predict_noise(points, t), t)[:, 0]
        kernel = np.exp(-0.5 * (grid[:, None] - mean[None, :]) ** 2 / schedule.sigma2(t, sigma))
        probability = (kernel / kernel.sum(axis=0, keepdims=True)) @ probability
    # x = f_1[z_1] is deterministic and steep between the modes, where neighbouring grid points land
    # bins apart: the smooth density of z_1 is interpolated onto a `refine` times finer grid first.
    fine = np.linspace(grid[0], grid[-1], refine * (len(grid) - 1) + 1)
    fine_probability = np.interp(fine, grid, probability)
    fine_probability *= probability.sum() / fine_probability.sum()
    x = schedule.reverse_mean(fine[:, None], predict_noise(fine[:, None], 1), 1)[:, 0]
    masses = np.zeros(len(edges) + 1)
    np.add.at(masses, np.searchsorted(_padded(edges), x, side="right") - 1, fine_probability)
    return masses
