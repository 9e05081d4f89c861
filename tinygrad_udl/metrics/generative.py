"""Chapter 14's measures of generative models (section 14.3), computed from samples.

- **Inception score** (eqs. 14.2-14.3): IS = exp[(1/N) Σ_n D_KL(Pr(y|x_n) ‖ Pr(y))] with
  Pr(y) = (1/N) Σ_n Pr(y|x_n), from the class probabilities a classifier gives each generated
  sample. The mean KL is the mutual information between the class y and the sample, so
  1 ≤ IS ≤ C for C classes: 1 when every sample gets the same class distribution, C when each
  sample is certain of its class and the classes are equally frequent. 0·log 0 = 0.
- **Fréchet distance** between Gaussians (eq. B.29): ‖μ₁ − μ₂‖² + tr[Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½];
  the *Fréchet inception distance* is this distance between Gaussians fitted to a classifier's
  features of real and generated samples (`fid`). In 1-D it is (μ₁ − μ₂)² + (σ₁ − σ₂)². Matrix
  square roots come from `eigh` of the symmetrised matrix with negative eigenvalues (rounding)
  clipped to 0.
- **Manifold precision / recall** (section 14.3): a ball around each real point, of radius the
  distance to its k-th nearest real neighbour, approximates the data manifold; precision is the
  fraction of generated samples inside it. Balls around the generated samples approximate the
  model manifold; recall is the fraction of real points inside that (k = 3, Kynkäänniemi et al.).
- **Mode coverage** of a mixture of isotropic Gaussians (the ring of chapter 15's mode-collapse
  experiments): a sample is of high quality when it lies within 3σ of a mode; a mode is covered
  when at least a tenth of its fair share of the samples lies there (25 of 2,000 for 8 modes). A perfect generator puts
  the χ²-mass P(χ²_D ≤ 9) of its samples within 3σ (98.89 % in 2-D), not 100 %
  (`perfect_quality_fraction`).

Features are rows: arrays (N, D) (a 1-D array is N one-dimensional points).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import xlogy
from scipy.stats import chi2

from ..checks import check_int

__all__ = ["inception_score", "frechet_distance", "fid", "fit_gaussian", "GaussianFit", "psd_sqrt",
           "precision_recall", "PrecisionRecall", "kth_neighbour_radii", "mode_coverage", "Coverage",
           "perfect_quality_fraction"]

_ROWS_PER_CHUNK = 512  # pairwise distances are computed this many rows at a time (bounded memory)


def _points(x, name, where, min_rows=1):
    """Float64 rows (N, D) from an array (N, D) or (N,) of N one-dimensional points."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) < min_rows:
        raise ValueError(f"{where}: {name} must be an array (N, D) of N >= {min_rows} points, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{where}: {name} contains inf or NaN")
    return x


# ---- Inception score (eqs. 14.2-14.3) ---------------------------------------------------------------------


def inception_score(probs) -> float:
    """IS = exp[(1/N) Σ_n D_KL(Pr(y|x_n) ‖ Pr(y))] (eq. 14.2) from `probs` (N, C): row n is the
    classifier's Pr(y|x_n) for generated sample n (rows of probabilities summing to 1)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        raise ValueError(f"inception_score: probs must be (N, C) class probabilities, got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("inception_score: every row of probs must be a probability distribution (entries >= 0 "
                         "summing to 1); pass softmax outputs, not logits")
    marginal = p.mean(axis=0)                                   # Pr(y), eq. 14.3
    kl = (xlogy(p, p) - xlogy(p, marginal)).sum(axis=1)         # 0·log 0 = 0 on both terms
    return float(np.exp(kl.mean()))


# ---- Fréchet distance (eq. B.29) -------------------------------------------------------------------------


@dataclass(frozen=True)
class GaussianFit:
    """The mean (D,) and covariance (D, D) of a set of points (the Gaussian FID compares)."""

    mean: np.ndarray
    covariance: np.ndarray


def fit_gaussian(features) -> GaussianFit:
    """Mean and unbiased covariance (divisor N − 1) of the rows of `features` (N >= 2)."""
    x = _points(features, "features", "fit_gaussian", min_rows=2)
    return GaussianFit(x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False)))


def psd_sqrt(matrix):
    """The symmetric square root S (S S = A) of a symmetric positive semi-definite matrix A, by
    `eigh` of (A + Aᵀ)/2 with negative eigenvalues (rounding) clipped to 0."""
    a = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"psd_sqrt: expected a square matrix, got shape {a.shape}")
    values, vectors = np.linalg.eigh((a + a.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mean1, cov1, mean2, cov2) -> float:
    """‖μ₁ − μ₂‖² + tr[Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½] (eq. B.29) between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    Means (D,) and covariances (D, D); in 1-D, numbers (a mean and a variance) also work. The
    trace of the square root is the sum of the square roots of the eigenvalues of the symmetric
    matrix Σ₁^½ Σ₂ Σ₁^½ (clipped at 0), so nothing non-symmetric is ever factorised."""
    mean1, mean2 = np.atleast_1d(np.asarray(mean1, np.float64)), np.atleast_1d(np.asarray(mean2, np.float64))
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, np.float64)), np.atleast_2d(np.asarray(cov2, np.float64))
    d = mean1.shape[0]
    if mean1.shape != (d,) or mean2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(f"frechet_distance: means of shape (D,) and covariances (D, D) with one D; got "
                         f"{mean1.shape}, {cov1.shape}, {mean2.shape}, {cov2.shape}")
    root1 = psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    distance = float(((mean1 - mean2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_root)
    return max(distance, 0.0)  # >= 0 exactly; rounding can leave -1e-13 for equal Gaussians


def fid(real_features, generated_features) -> float:
    """The Fréchet distance (eq. B.29) between Gaussians fitted to two sets of features (section
    14.3's Fréchet inception distance, with whatever feature map produced them)."""
    real, generated = fit_gaussian(real_features), fit_gaussian(generated_features)
    if real.mean.shape != generated.mean.shape:
        raise ValueError(f"fid: the two sets have features of different sizes, {real.mean.shape[0]} and "
                         f"{generated.mean.shape[0]}")
    return frechet_distance(real.mean, real.covariance, generated.mean, generated.covariance)


# ---- manifold precision / recall (section 14.3) ------------------------------------------------------------


class PrecisionRecall(NamedTuple):
    """precision: share of generated samples on the data manifold; recall: share of real points on
    the model manifold (both in [0, 1]). A pair: `precision, recall = precision_recall(...)`."""

    precision: float
    recall: float


def _distance_chunks(a, b):
    """(start, distances of rows a[start:start + chunk] to every row of b), chunk by chunk."""
    b_norms = (b * b).sum(axis=1)
    for start in range(0, len(a), _ROWS_PER_CHUNK):
        rows = a[start:start + _ROWS_PER_CHUNK]
        squared = (rows * rows).sum(axis=1)[:, None] - 2.0 * rows @ b.T + b_norms[None, :]
        yield start, np.sqrt(np.clip(squared, 0.0, None))


def kth_neighbour_radii(points, k=3):
    """Distance from each point to its k-th nearest *other* point (the radius of its ball)."""
    x = _points(points, "points", "kth_neighbour_radii")
    k = check_int(k, "k", "kth_neighbour_radii", minimum=1)
    if k >= len(x):
        raise ValueError(f"kth_neighbour_radii: k={k} needs more than {k} points, got {len(x)}")
    radii = np.empty(len(x))
    for start, distances in _distance_chunks(x, x):
        # the point itself is at distance 0, the smallest; its k-th neighbour is the (k+1)-th smallest
        radii[start:start + len(distances)] = np.partition(distances, k, axis=1)[:, k]
    return radii


def _share_inside(queries, centres, radii):
    """Fraction of `queries` within radius_i of some centre i (inside the union of the balls)."""
    inside = np.zeros(len(queries), dtype=bool)
    for start, distances in _distance_chunks(queries, centres):
        inside[start:start + len(distances)] = (distances <= radii[None, :]).any(axis=1)
    return float(inside.mean())


def precision_recall(real, generated, k=3) -> PrecisionRecall:
    """Manifold precision and recall (section 14.3) of `generated` samples against `real` ones
    (arrays (N, D) of data or features), with balls reaching each point's k-th nearest neighbour."""
    real = _points(real, "real", "precision_recall")
    generated = _points(generated, "generated", "precision_recall")
    if real.shape[1] != generated.shape[1]:
        raise ValueError(f"precision_recall: real points have {real.shape[1]} dimensions, generated "
                         f"{generated.shape[1]}")
    precision = _share_inside(generated, real, kth_neighbour_radii(real, k))
    recall = _share_inside(real, generated, kth_neighbour_radii(generated, k))
    return PrecisionRecall(precision, recall)


# ---- coverage of the modes of a mixture --------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """modes: how many modes are covered (of `counts.size`); quality: share of samples within
    `radius`σ of a mode; counts: those samples per mode."""

    modes: int
    quality: float
    counts: np.ndarray


def mode_coverage(samples, means, std, radius=3.0, min_share=0.1) -> Coverage:
    """Coverage of the modes of a mixture of isotropic Gaussians N(μ_k, std²I) by `samples` (N, D).

    A sample is of high quality when it lies within `radius`·std of its nearest mode; a mode is
    covered when at least `min_share` of its fair share N/K of the samples lies that close to it."""
    x = _points(samples, "samples", "mode_coverage")
    means = _points(means, "means", "mode_coverage")
    if x.shape[1] != means.shape[1]:
        raise ValueError(f"mode_coverage: samples have {x.shape[1]} dimensions, the modes {means.shape[1]}")
    if not std > 0 or not radius > 0 or not 0 < min_share <= 1:
        raise ValueError(f"mode_coverage: need std > 0, radius > 0 and 0 < min_share <= 1, got {std}, {radius}, "
                         f"{min_share}")
    distances = np.concatenate([d for _, d in _distance_chunks(x, means)])
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(len(x)), nearest] <= radius * std
    counts = np.bincount(nearest[close], minlength=len(means))
    covered = int((counts >= min_share * len(x) / len(means)).sum())
    return Coverage(covered, float(close.mean()), counts)


def perfect_quality_fraction(radius=3.0, dim=2) -> float:
    """The share of a mode's own samples within `radius` standard deviations of its mean: P(χ²_dim ≤
    radius²), what `mode_coverage` reports for samples of the mixture itself (modes far apart):
    1 − e^{−9/2} = 0.98889 for 3σ in 2-D."""
    return float(chi2.cdf(radius ** 2, dim))
