"""Chapter 14's measures (tinygrad_udl.metrics) on cases whose answers are known independently.

Oracles: the Inception score is exp of the mutual information H[Pr(y)] − mean_n H[Pr(y|x_n)]
(scipy's entropies); the Fréchet distance of 1-D Gaussians is (μ₁ − μ₂)² + (σ₁ − σ₂)², of
commuting covariances ‖Δμ‖² + Σ(√a − √b)², and in general tr[Σ₁ + Σ₂ − 2 sqrtm(Σ₁Σ₂)] with
scipy's (non-symmetric) `sqrtm`; k-th neighbour radii by sorting all distances (scipy's cdist);
precision / recall 0 for disjoint supports, 1 for identical sets, 1 / ½ when the generator drops
one of two clusters; the χ² mass within 3σ for samples of the mixture itself.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist
from scipy.stats import entropy

from tinygrad_udl.data import ring_of_gaussians
from tinygrad_udl.metrics import (fid, fit_gaussian, frechet_distance, inception_score, kth_neighbour_radii,
                                  mode_coverage, perfect_quality_fraction, precision_recall, psd_sqrt)

# ---- Inception score (eqs. 14.2-14.3) ---------------------------------------------------------------------


def test_inception_score_of_certain_and_balanced_classes_is_the_number_of_classes():
    probs = np.tile(np.eye(7), (5, 1))          # 35 samples, each certain, every class 5 times
    assert inception_score(probs) == pytest.approx(7.0, rel=1e-12)


def test_inception_score_is_one_when_every_sample_gets_the_same_distribution():
    probs = np.tile([0.2, 0.5, 0.3], (10, 1))
    assert inception_score(probs) == pytest.approx(1.0, abs=1e-12)


@given(st.integers(1, 30), st.integers(2, 8), st.integers(0, 2 ** 32 - 1))
def test_inception_score_is_exp_of_the_mutual_information(n, classes, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(classes, 0.3), size=n)
    probs[probs < 1e-3] = 0.0                   # exact zeros: 0 log 0 = 0
    probs /= probs.sum(axis=1, keepdims=True)
    mutual_information = entropy(probs.mean(axis=0)) - np.mean([entropy(p) for p in probs])
    assert inception_score(probs) == pytest.approx(math.exp(mutual_information), rel=1e-9)
    assert 1.0 - 1e-9 <= inception_score(probs) <= classes + 1e-9


@pytest.mark.parametrize("probs", [np.array([[0.5, 0.6]]), np.array([[-0.1, 1.1]]), np.ones(3) / 3])
def test_inception_score_refuses_what_is_not_probabilities(probs):
    with pytest.raises(ValueError, match="probabilit"):
        inception_score(probs)


# ---- Fréchet distance (eq. B.29) ---------------------------------------------------------------------------


@given(st.floats(-5, 5), st.floats(0.1, 3), st.floats(-5, 5), st.floats(0.1, 3))
def test_frechet_distance_of_1d_gaussians(mu1, s1, mu2, s2):
    expected = (mu1 - mu2) ** 2 + (s1 - s2) ** 2
    assert frechet_distance(mu1, s1 ** 2, mu2, s2 ** 2) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_frechet_distance_of_commuting_covariances():
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)


@given(st.integers(1, 6), st.integers(0, 2 ** 32 - 1))
def test_frechet_distance_against_scipy_sqrtm_of_the_product(d, seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(size=(d, d + 2)), rng.normal(size=(d, d + 2))
    cov1, cov2 = m1 @ m1.T, m2 @ m2.T
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(cov1 + cov2 - 2 * sqrtm(cov1 @ cov2).real)
    assert frechet_distance(mu1, cov1, mu2, cov2) == pytest.approx(expected, rel=1e-7, abs=1e-8)
    assert frechet_distance(mu1, cov1, mu2, cov2) == pytest.approx(frechet_distance(mu2, cov2, mu1, cov1), rel=1e-8)


def test_fid_of_identical_feature_sets_is_zero_and_of_shifted_sets_the_shift():
    x = np.random.default_rng(0).normal(size=(500, 12)) @ np.random.default_rng(1).normal(size=(12, 12))
    assert fid(x, x) == pytest.approx(0.0, abs=1e-8)
    shift = np.arange(12) / 10
    assert fid(x, x + shift) == pytest.approx((shift ** 2).sum(), rel=1e-8)


def test_fid_of_large_gaussian_samples_approaches_the_closed_form():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 2.0, (200_000, 1)), rng.normal(-0.5, 0.5, (200_000, 1))
    assert fid(a, b) == pytest.approx(1.5 ** 2 + 1.5 ** 2, rel=1e-2)


def test_fit_gaussian_is_the_mean_and_unbiased_covariance():
    x = np.random.default_rng(0).normal(size=(40, 3))
    fit = fit_gaussian(x)
    np.testing.assert_allclose(fit.mean, x.mean(0))
    np.testing.assert_allclose(fit.covariance, (x - x.mean(0)).T @ (x - x.mean(0)) / 39)


def test_psd_sqrt_squares_back_and_clips_rounding_below_zero():
    m = np.random.default_rng(0).normal(size=(4, 2))
    singular = m @ m.T                       # rank 2: two eigenvalues are 0 up to rounding
    root = psd_sqrt(singular)
    np.testing.assert_allclose(root @ root, singular, atol=1e-10)
    assert np.isfinite(root).all() and np.allclose(root, root.T)


def test_frechet_distance_checks_shapes():
    with pytest.raises(ValueError, match="one D"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="N >= 2"):
        fit_gaussian(np.zeros((1, 3)))


# ---- manifold precision / recall (section 14.3) ------------------------------------------------------------


@given(st.integers(5, 60), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2 ** 32 - 1))
def test_kth_neighbour_radii_by_brute_force(n, d, k, seed):
    x = np.random.default_rng(seed).normal(size=(n, d))
    expected = np.sort(cdist(x, x), axis=1)[:, k]
    np.testing.assert_allclose(kth_neighbour_radii(x, k), expected, atol=1e-9)


def test_disjoint_supports_have_precision_and_recall_zero():
    rng = np.random.default_rng(0)
    real, generated = rng.uniform(0, 1, (300, 2)), rng.uniform(5, 6, (300, 2))
    assert precision_recall(real, generated) == (0.0, 0.0)


def test_identical_sets_have_precision_and_recall_one():
    x = np.random.default_rng(1).normal(size=(200, 3))
    result = precision_recall(x, x.copy())
    assert (result.precision, result.recall) == (1.0, 1.0)


def test_samples_of_the_same_distribution_are_mostly_inside_each_others_manifold():
    rng = np.random.default_rng(2)
    result = precision_recall(rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2)))
    assert result.precision > 0.9 and result.recall > 0.9


def test_a_generator_that_drops_one_of_two_clusters_has_full_precision_and_half_recall():
    rng = np.random.default_rng(3)
    real = np.concatenate([rng.normal(0, 0.1, (500, 2)), rng.normal(10, 0.1, (500, 2))])
    generated = rng.normal(0, 0.1, (1000, 2))
    result = precision_recall(real, generated)
    assert result.precision > 0.95
    assert result.recall == pytest.approx(0.5, abs=0.03)


def test_kth_neighbour_radii_needs_more_points_than_k():
    with pytest.raises(ValueError, match="more than 3"):
        kth_neighbour_radii(np.zeros((3, 2)), 3)


# ---- mode coverage ------------------------------------------------------------------------------------------


RING = ring_of_gaussians(8)
STD = 0.05


def test_samples_at_every_mode_cover_all_of_them():
    coverage = mode_coverage(np.repeat(RING.means, 10, axis=0), RING.means, STD)
    assert coverage.modes == 8 and coverage.quality == 1.0 and coverage.counts.tolist() == [10] * 8


def test_a_collapsed_generator_covers_one_mode():
    collapsed = RING.means[3] + np.random.default_rng(0).normal(0, STD / 10, (100, 2))
    coverage = mode_coverage(collapsed, RING.means, STD)
    assert coverage.modes == 1 and coverage.counts[3] == 100


def test_samples_far_from_every_mode_are_not_of_high_quality():
    coverage = mode_coverage(np.zeros((50, 2)), RING.means, STD)
    assert coverage.modes == 0 and coverage.quality == 0.0


def test_the_mixtures_own_samples_reach_the_chi_square_mass():
    assert perfect_quality_fraction(3.0, 2) == pytest.approx(1 - math.exp(-4.5), rel=1e-12)
    n = 40_000
    coverage = mode_coverage(RING.sample(n, 0), RING.means, STD)
    p = 1 - math.exp(-4.5)
    assert coverage.modes == 8
    assert coverage.quality == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))


def test_mode_coverage_checks_its_arguments():
    with pytest.raises(ValueError, match="dimensions"):
        mode_coverage(np.zeros((4, 3)), RING.means, STD)
    with pytest.raises(ValueError, match="std > 0"):
        mode_coverage(np.zeros((4, 2)), RING.means, 0.0)
