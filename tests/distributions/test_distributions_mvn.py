"""MultivariateNormal: log_prob and entropy against scipy.stats.multivariate_normal, batching,
sample moments, and gradients of rsample and log_prob against central differences."""
import numpy as np
import pytest
from distributions_testing import assert_grads_match, weights
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import tinygrad_udl as tg
from tinygrad_udl.distributions import MultivariateNormal

seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 4)


def covariance(rng, d, batch=()):
    a = rng.standard_normal(batch + (d, d))
    return a @ np.swapaxes(a, -1, -2) + 0.3 * np.eye(d)


@given(seeds, dims, st.booleans())
def test_log_prob_and_entropy_match_scipy(seed, d, by_factor):
    rng = np.random.default_rng(seed)
    mu, sigma = rng.standard_normal(d), covariance(rng, d)
    dist = (MultivariateNormal(mu, scale_tril=np.linalg.cholesky(sigma)) if by_factor
            else MultivariateNormal(mu, covariance_matrix=sigma))
    x = mu + 2 * rng.standard_normal((5, d))
    reference = stats.multivariate_normal(mu, sigma)
    np.testing.assert_allclose(dist.log_prob(x).data, reference.logpdf(x).reshape(5), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dist.entropy().item(), reference.entropy(), rtol=1e-10, atol=1e-12)


@given(seeds)
def test_batched_log_prob_matches_scipy_per_batch_element(seed):
    rng = np.random.default_rng(seed)
    mu, sigma = rng.standard_normal((2, 1, 3)), covariance(rng, 3, (4,))  # batch (2, 1) against (4,)
    dist = MultivariateNormal(mu, covariance_matrix=sigma)
    assert (dist.batch_shape, dist.event_shape) == ((2, 4), (3,))
    x = rng.standard_normal((5, 1, 1, 3))
    got = dist.log_prob(x)
    assert got.shape == (5, 2, 4)
    for i in range(2):
        for j in range(4):
            expected = stats.multivariate_normal(mu[i, 0], sigma[j]).logpdf(x[:, 0, 0])
            np.testing.assert_allclose(got.data[:, i, j], expected, rtol=1e-9)
    expected = [stats.multivariate_normal(mu[0, 0], s).entropy() for s in sigma]
    np.testing.assert_allclose(dist.entropy().data[0], expected)


def test_moments_of_samples():
    rng = np.random.default_rng(0)
    mu, sigma = np.array([1.0, -2.0, 0.5]), covariance(rng, 3)
    dist = MultivariateNormal(mu, covariance_matrix=sigma)
    np.testing.assert_allclose(dist.covariance_matrix.data, sigma)
    np.testing.assert_allclose(dist.scale_tril.data, np.linalg.cholesky(sigma))
    np.testing.assert_allclose(dist.variance.data, np.diag(sigma))
    np.testing.assert_array_equal(dist.mean.data, mu)
    x = dist.sample((50_000,), rng=1)
    assert x.shape == (50_000, 3) and not x.requires_grad
    scale = np.sqrt(np.diag(sigma).max())
    np.testing.assert_allclose(x.data.mean(0), mu, atol=5 * scale / np.sqrt(50_000))
    np.testing.assert_allclose(np.cov(x.data.T), sigma, atol=5 * scale ** 2 * np.sqrt(2 / 50_000))
    np.testing.assert_array_equal(dist.sample(4, rng=9).data, dist.sample(4, rng=9).data)


def test_scale_tril_and_covariance_give_the_same_distribution():
    rng = np.random.default_rng(2)
    sigma = covariance(rng, 3)
    by_cov = MultivariateNormal(np.zeros(3), covariance_matrix=sigma)
    by_tril = MultivariateNormal(np.zeros(3), scale_tril=np.linalg.cholesky(sigma))
    np.testing.assert_allclose(by_tril.covariance_matrix.data, sigma)
    np.testing.assert_allclose(by_cov.rsample((3,), rng=5).data, by_tril.rsample((3,), rng=5).data)


def test_rsample_gradients_match_finite_differences_for_fixed_noise():
    rng = np.random.default_rng(3)
    mu, sigma = rng.standard_normal(3), covariance(rng, 3)
    w = weights((4, 3))

    def through_tril(loc, tril):  # a nonlinear function of the draw; the seed fixes ε. tril() keeps the
        # perturbed upper entries out (they have no effect, so their gradient is 0)
        return (MultivariateNormal(loc, scale_tril=tril.tril()).rsample((4,), rng=6).tanh() * w).sum()

    def through_covariance(loc, a):  # Σ = A Aᵀ + 0.3 I stays symmetric positive definite under perturbation
        cov = a @ a.T + 0.3 * np.eye(3)
        return (MultivariateNormal(loc, covariance_matrix=cov).rsample((4,), rng=6).tanh() * w).sum()

    assert_grads_match(through_tril, mu, np.linalg.cholesky(sigma), rtol=1e-6, atol=1e-8)
    assert_grads_match(through_covariance, mu, rng.standard_normal((3, 3)), rtol=1e-6, atol=1e-8)


def test_log_prob_and_entropy_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3))

    def log_prob(loc, a, value):
        cov = a @ a.T + 0.3 * np.eye(3)
        return (MultivariateNormal(loc, covariance_matrix=cov).log_prob(value) * np.array([1.0, -0.7])).sum()

    assert_grads_match(log_prob, rng.standard_normal(3), rng.standard_normal((3, 3)), x, rtol=1e-6, atol=1e-8)
    tril = np.tril(rng.standard_normal((3, 3)), -1) + np.diag([0.5, 1.0, 2.0])
    assert_grads_match(lambda t: MultivariateNormal(np.zeros(3), scale_tril=t.tril()).entropy(), tril)


def test_a_distribution_can_be_used_for_several_backward_passes():
    loc = tg.Tensor(np.zeros((2, 2)), requires_grad=True)
    dist = MultivariateNormal(loc, covariance_matrix=np.eye(2))  # loc is broadcast against nothing; Σ factorised
    dist.log_prob(np.ones(2)).sum().backward()
    dist.log_prob(np.ones(2)).sum().backward()
    np.testing.assert_allclose(loc.grad.data, 2 * np.ones((2, 2)))


def test_bad_arguments_are_clear_errors():
    eye = np.eye(2)
    with pytest.raises(ValueError, match="give exactly one of covariance_matrix= or scale_tril="):
        MultivariateNormal(np.zeros(2))
    with pytest.raises(ValueError, match="got covariance_matrix= and scale_tril="):
        MultivariateNormal(np.zeros(2), covariance_matrix=eye, scale_tril=eye)
    with pytest.raises(ValueError, match="for a one-dimensional normal use Normal"):
        MultivariateNormal(0.0, covariance_matrix=eye)
    with pytest.raises(ValueError, match=r"covariance_matrix has shape \(2, 2\), but loc has shape \(3,\)"):
        MultivariateNormal(np.zeros(3), covariance_matrix=eye)
    with pytest.raises(np.linalg.LinAlgError, match="covariance_matrix must be symmetric positive definite"):
        MultivariateNormal(np.zeros(2), covariance_matrix=-eye)
    with pytest.raises(np.linalg.LinAlgError, match="not symmetric"):
        MultivariateNormal(np.zeros(2), covariance_matrix=[[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"scale_tril must be lower triangular .* got 0.5 at index \[0, 1\]"):
        MultivariateNormal(np.zeros(2), scale_tril=[[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="scale_tril must have a positive diagonal"):
        MultivariateNormal(np.zeros(2), scale_tril=[[1.0, 0.0], [0.5, 0.0]])
    with pytest.raises(ValueError, match=r"loc_batch \(3,\), matrix_batch \(2,\)"):
        MultivariateNormal(np.zeros((3, 2)), covariance_matrix=np.stack([eye, eye]))
    with pytest.raises(ValueError, match=r"the value has shape \(4,\), but events .* have shape \(2,\)"):
        MultivariateNormal(np.zeros(2), covariance_matrix=eye).log_prob(np.zeros(4))
