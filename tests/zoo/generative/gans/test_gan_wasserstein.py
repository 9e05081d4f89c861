"""Exact Wasserstein-1 distances (sections 15.2.3-15.2.5) against independent references.

Oracles: Σ_k |F_p(k) − F_q(k)| for discrete distributions on a line (the primal and dual linear
programs of eqs. 15.10-15.13 must both reach it, and the plan must have the right marginals);
scipy.stats.wasserstein_distance for samples; |μ₁ − μ₂| for Gaussians of equal variance, and
the quantile integral ∫₀¹ |F_p⁻¹(u) − F_q⁻¹(u)| du (scipy's norm.ppf) for unequal ones.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm, wasserstein_distance

from tinygrad_udl.data import GaussianMixture
from tinygrad_udl.zoo.generative.gans.wasserstein import (discrete_wasserstein, mixture_cdf, mixture_wasserstein_1d,
                                                          sample_wasserstein_1d)


@given(st.integers(2, 7), st.integers(0, 2 ** 32 - 1))
def test_primal_and_dual_programs_reach_the_cdf_formula(k, seed):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
    transport = discrete_wasserstein(p, q)
    expected = np.abs(np.cumsum(p) - np.cumsum(q)).sum()
    assert transport.distance == pytest.approx(expected, abs=1e-8)
    assert transport.dual_distance == pytest.approx(expected, abs=1e-8)
    np.testing.assert_allclose(transport.plan.sum(axis=1), p, atol=1e-9)    # eq. 15.11's constraints
    np.testing.assert_allclose(transport.plan.sum(axis=0), q, atol=1e-9)
    assert (transport.plan >= -1e-12).all()
    assert np.abs(np.diff(transport.critic)).max() <= 1 + 1e-9             # eq. 15.13


def test_moving_all_mass_three_bins_costs_three():
    assert discrete_wasserstein([1, 0, 0, 0], [0, 0, 0, 1]).distance == pytest.approx(3.0)


def test_discrete_wasserstein_checks_its_distributions():
    with pytest.raises(ValueError, match="probability vector"):
        discrete_wasserstein([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="of length 2"):
        discrete_wasserstein([0.5, 0.5], [1.0, 0.0, 0.0])


@given(st.integers(1, 50), st.integers(1, 50), st.integers(0, 2 ** 32 - 1))
def test_sample_wasserstein_matches_scipy(n, m, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.exponential(size=m)
    assert sample_wasserstein_1d(a, b) == pytest.approx(wasserstein_distance(a, b), rel=1e-9, abs=1e-12)


def test_equal_sizes_are_the_mean_gap_of_the_sorted_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=100), rng.normal(2, 1, 100)
    assert sample_wasserstein_1d(a, b) == pytest.approx(np.abs(np.sort(a) - np.sort(b)).mean(), rel=1e-12)


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.2, 2))
def test_gaussians_of_equal_variance_are_the_shift_apart(mu1, mu2, std):
    p, q = GaussianMixture([[mu1]], [std ** 2], [1.0]), GaussianMixture([[mu2]], [std ** 2], [1.0])
    assert mixture_wasserstein_1d(p, q) == pytest.approx(abs(mu1 - mu2), abs=1e-7)


def test_mixture_distance_is_the_quantile_integral():
    # N(0, 1) against N(1, 2²): the quantile functions are u -> Φ⁻¹(u) and 1 + 2Φ⁻¹(u)
    p, q = GaussianMixture([[0.0]], [1.0], [1.0]), GaussianMixture([[1.0]], [4.0], [1.0])
    expected, _ = quad(lambda u: abs(norm.ppf(u) - (1 + 2 * norm.ppf(u))), 0, 1, limit=200)
    assert mixture_wasserstein_1d(p, q) == pytest.approx(expected, rel=1e-6)


def test_mixture_cdf_is_the_weighted_normal_cdf():
    mixture = GaussianMixture([[-2.0], [2.0]], [0.25, 1.0], [0.3, 0.7])
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(mixture_cdf(mixture, x), 0.3 * norm.cdf(x, -2, 0.5) + 0.7 * norm.cdf(x, 2, 1.0))
