"""Densities with known log-densities (data/densities.py) and the shipped 8×8 digits."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from tinygrad_udl.data import GaussianMixture, load_digits, ring_of_gaussians, two_moons


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(1, 3))
def test_log_prob_is_scipys_mixture_density(seed, k, d):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(k, d))
    a = rng.normal(size=(k, d, d))
    covs = a @ np.swapaxes(a, 1, 2) + 0.5 * np.eye(d)
    weights = rng.dirichlet(np.ones(k))
    x = rng.normal(size=(6, d))
    expected = np.log(sum(w * stats.multivariate_normal(m, c).pdf(x) for w, m, c in zip(weights, means, covs)))
    np.testing.assert_allclose(GaussianMixture(means, covs, weights).log_prob(x), np.reshape(expected, -1),
                               rtol=1e-10, atol=1e-12)


def test_isotropic_variances_are_scaled_identities():
    means = np.array([[0.0, 0.0], [3.0, 1.0]])
    x = np.array([[0.5, -0.2], [2.0, 2.0]])
    by_variance = GaussianMixture(means, [0.3, 2.0], [0.4, 0.6])
    by_matrix = GaussianMixture(means, [0.3 * np.eye(2), 2.0 * np.eye(2)], [0.4, 0.6])
    np.testing.assert_allclose(by_variance.log_prob(x), by_matrix.log_prob(x), rtol=1e-12)


def test_a_1d_mixture_integrates_to_one_and_its_entropy_matches_quadrature():
    g = GaussianMixture([[-1.0], [2.0]], [0.2, 1.5], [0.3, 0.7])
    density = lambda v: math.exp(g.log_prob([[v]])[0])
    assert integrate.quad(density, -20, 20, limit=200)[0] == pytest.approx(1.0, abs=1e-9)
    entropy = integrate.quad(lambda v: -density(v) * math.log(density(v)), -20, 20, limit=200)[0]
    assert g.entropy() == pytest.approx(entropy, abs=1e-6)


def test_the_ring_has_the_entropy_of_eight_separate_gaussians():
    """Well-separated equal components: H = log 8 + H[N(0, σ²I₂)] = log 8 + 1 + log 2πσ²."""
    std = 0.05
    assert ring_of_gaussians(8, radius=2.0, std=std).entropy() == pytest.approx(
        math.log(8) + 1 + math.log(2 * math.pi * std ** 2), abs=1e-8)


def test_samples_follow_the_density():
    ring = ring_of_gaussians(8)
    x = ring.sample(40_000, rng=1)
    assert x.shape == (40_000, 2)
    # every sample lies near one of the 8 means, and each mode gets about 1/8 of them
    nearest = np.argmin(((x[:, None] - ring.means[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_allclose(np.bincount(nearest, minlength=8) / len(x), 1 / 8, atol=0.01)
    # the Monte Carlo entropy from samples agrees with the integral
    assert -ring.log_prob(x).mean() == pytest.approx(ring.entropy(), abs=0.02)


def test_two_moons_density_puts_its_mass_where_make_moons_puts_points():
    from tinygrad_udl.data import make_moons
    moons = two_moons(noise=0.1)
    x, _ = make_moons(2_000, rng=0, noise=0.1)
    far = x + np.array([0.0, 3.0])
    assert moons.log_prob(x).mean() > moons.log_prob(far).mean() + 20
    assert -moons.log_prob(moons.sample(50_000, rng=2)).mean() == pytest.approx(moons.entropy(), abs=0.02)


def test_bad_mixtures_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianMixture([[0.0]], [1.0], [0.5])
    with pytest.raises(ValueError, match="positive definite"):
        GaussianMixture([[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]], [1.0])
    with pytest.raises(ValueError, match="noise must be > 0"):
        two_moons(noise=0.0)


def test_the_digits_are_sklearns_images_in_channel_first_layout():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")   # a test dependency; skipped only without it
    raw = sklearn_datasets.load_digits()
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape[1:] == (1, 8, 8) and x_train.dtype == np.float32
    assert len(x_train) + len(x_test) == 1797 and 0.0 <= x_train.min() and x_train.max() == 1.0
    # every image is one of sklearn's, scaled by 1/16, with its label
    lookup = {img.tobytes(): label for img, label in zip((raw.images / 16).astype(np.float32), raw.target)}
    assert all(lookup[img[0].tobytes()] == label for img, label in zip(x_test, y_test))
