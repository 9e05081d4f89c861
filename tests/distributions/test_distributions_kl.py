"""kl_divergence: the closed forms against Monte-Carlo estimates E_p[log p - log q] made with
scipy's densities, against scipy's exact discrete KL, KL(p, p) = 0, KL >= 0, and gradients."""
import numpy as np
import pytest
from distributions_testing import assert_grads_match, weights
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

import tinygrad_udl as tg
from tinygrad_udl.distributions import (Bernoulli, Categorical, MultivariateNormal, Normal, kl, kl_divergence,
                                        register_kl)

seeds = st.integers(0, 2**32 - 1)
N = 200_000


def covariance(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T + 0.3 * np.eye(d)


def test_normal_kl_matches_a_monte_carlo_estimate():
    p, q = stats.norm(0.5, 1.3), stats.norm(-0.2, 0.8)
    x = p.rvs(N, random_state=0)
    terms = p.logpdf(x) - q.logpdf(x)
    got = kl_divergence(Normal(0.5, 1.3), Normal(-0.2, 0.8)).item()
    assert abs(got - terms.mean()) < 5 * terms.std() / np.sqrt(N)


def test_multivariate_normal_kl_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    mu_p, mu_q = rng.standard_normal(3), rng.standard_normal(3)
    sigma_p, sigma_q = covariance(rng, 3), covariance(rng, 3)
    p, q = stats.multivariate_normal(mu_p, sigma_p), stats.multivariate_normal(mu_q, sigma_q)
    x = p.rvs(N, random_state=1)
    terms = p.logpdf(x) - q.logpdf(x)
    got = kl_divergence(MultivariateNormal(mu_p, covariance_matrix=sigma_p),
                        MultivariateNormal(mu_q, scale_tril=np.linalg.cholesky(sigma_q))).item()
    assert abs(got - terms.mean()) < 5 * terms.std() / np.sqrt(N)


def test_multivariate_normal_kl_to_the_standard_normal_is_eq_17_24():
    rng = np.random.default_rng(2)
    mu, sigma = rng.standard_normal(4), covariance(rng, 4)
    expected = 0.5 * (np.trace(sigma) + mu @ mu - 4 - np.linalg.slogdet(sigma)[1])
    prior = MultivariateNormal(np.zeros(4), scale_tril=np.eye(4))
    got = kl_divergence(MultivariateNormal(mu, covariance_matrix=sigma), prior)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)


@given(seeds, st.integers(1, 5))
def test_discrete_kls_match_scipy_and_a_monte_carlo_estimate(seed, k):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
    got = kl_divergence(Categorical(probs=p), Categorical(logits=np.log(q) + 3.0)).item()
    np.testing.assert_allclose(got, stats.entropy(p, q), rtol=1e-9, atol=1e-12)
    x = rng.choice(k, size=20_000, p=p)
    terms = np.log(p[x]) - np.log(q[x])
    assert abs(got - terms.mean()) < 6 * terms.std() / np.sqrt(20_000) + 1e-12
    a, b = p[0], q[0]
    np.testing.assert_allclose(kl_divergence(Bernoulli(probs=a), Bernoulli(logits=special.logit(b))).item(),
                               stats.entropy([1 - a, a], [1 - b, b]), rtol=1e-8, atol=1e-12)


def test_discrete_kls_with_zero_probabilities():
    p, q = Categorical(probs=np.array([0.0, 0.5, 0.5])), Categorical(probs=np.array([0.5, 0.0, 0.5]))
    assert kl_divergence(p, p).item() == 0.0
    assert kl_divergence(p, q).item() == np.inf  # q gives 0 to a category p produces
    np.testing.assert_allclose(kl_divergence(q, Categorical(probs=np.full(3, 1 / 3))).item(), np.log(3) - np.log(2))
    np.testing.assert_allclose(kl_divergence(Bernoulli(probs=1.0), Bernoulli(probs=0.25)).item(), -np.log(0.25))


@given(seeds)
def test_kl_of_a_distribution_with_itself_is_zero_and_kl_is_never_negative(seed):
    rng = np.random.default_rng(seed)
    loc, scale = rng.standard_normal(3), rng.uniform(0.1, 3, 3)
    pairs = [(Normal(loc, scale), Normal(rng.standard_normal(3), rng.uniform(0.1, 3, 3))),
             (MultivariateNormal(loc, covariance_matrix=covariance(rng, 3)),
              MultivariateNormal(rng.standard_normal(3), covariance_matrix=covariance(rng, 3))),
             (Categorical(logits=rng.standard_normal((2, 4))), Categorical(logits=rng.standard_normal((2, 4)))),
             (Bernoulli(logits=rng.standard_normal(3)), Bernoulli(probs=rng.uniform(size=3)))]
    for p, q in pairs:
        np.testing.assert_allclose(kl_divergence(p, p).data, 0.0, atol=1e-10, err_msg=type(p).__name__)
        assert (kl_divergence(p, q).data >= 0).all() and (kl_divergence(q, p).data >= 0).all(), type(p).__name__


def test_kl_broadcasts_batch_shapes():
    assert kl_divergence(Normal(np.zeros((2, 1)), 1.0), Normal(np.zeros(3), 2.0)).shape == (2, 3)
    p = MultivariateNormal(np.zeros((4, 2)), covariance_matrix=np.eye(2))
    assert kl_divergence(p, MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))).shape == (4,)
    assert kl_divergence(Categorical(logits=np.zeros((5, 3))), Categorical(logits=np.zeros(3))).shape == (5,)


def test_kl_gradients_match_finite_differences():
    w = weights(3)
    assert_grads_match(lambda m1, s1, m2, s2: (kl_divergence(Normal(m1, s1), Normal(m2, s2)) * w).sum(),
                       np.array([0.1, -1.0, 2.0]), np.array([0.5, 1.0, 2.0]), np.array([0.0, 1.0, 1.5]),
                       np.array([1.0, 0.3, 2.5]))
    rng = np.random.default_rng(5)

    def mvn_kl(loc_p, a, loc_q, tril_q):
        p = MultivariateNormal(loc_p, covariance_matrix=a @ a.T + 0.3 * np.eye(3))
        return kl_divergence(p, MultivariateNormal(loc_q, scale_tril=tril_q.tril()))

    tril = np.tril(rng.standard_normal((3, 3)), -1) + np.diag([0.7, 1.0, 1.5])
    assert_grads_match(mvn_kl, rng.standard_normal(3), rng.standard_normal((3, 3)), rng.standard_normal(3), tril)
    assert_grads_match(lambda z1, z2: (kl_divergence(Categorical(logits=z1), Categorical(logits=z2)) * w[:2]).sum(),
                       rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))
    assert_grads_match(lambda z, p: (kl_divergence(Bernoulli(logits=z), Bernoulli(probs=p)) * w).sum(),
                       rng.standard_normal(3), np.array([0.2, 0.5, 0.9]))


def test_unsupported_pairs_and_mismatches_are_clear_errors():
    with pytest.raises(NotImplementedError, match=r"kl_divergence\(Normal, Bernoulli\): no closed form"):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(probs=0.5))
    with pytest.raises(TypeError, match="kl_divergence: q must be a distribution"):
        kl_divergence(Normal(0.0, 1.0), 3.0)
    with pytest.raises(ValueError, match="p has 3 categories and q 4"):
        kl_divergence(Categorical(logits=np.zeros(3)), Categorical(logits=np.zeros(4)))
    with pytest.raises(ValueError, match=r"the events have different shapes, \(2,\) and \(3,\)"):
        kl_divergence(MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)),
                      MultivariateNormal(np.zeros(3), scale_tril=np.eye(3)))
    with pytest.raises(ValueError, match=r"p_batch_shape \(2,\), q_batch_shape \(3,\)"):
        kl_divergence(Normal(np.zeros(2), 1.0), Normal(np.zeros(3), 1.0))


def test_register_kl_adds_a_pair():
    class Shifted(Normal):
        pass

    @register_kl(Shifted, Normal)
    def _(p, q):
        return tg.tensor(np.float64(42.0))

    try:
        assert kl_divergence(Shifted(0.0, 1.0), Normal(0.0, 1.0)).item() == 42.0
        with pytest.raises(NotImplementedError, match=r"kl_divergence\(Normal, Shifted\)"):
            kl_divergence(Normal(0.0, 1.0), Shifted(0.0, 1.0))
    finally:
        del kl._KL[Shifted, Normal]  # the registry is global: leave it as the other tests expect
