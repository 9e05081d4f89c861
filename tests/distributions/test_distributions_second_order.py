"""Second derivatives: `hessian` of log_prob, entropy and KL against central differences of the
gradient (docs/distributions.md promises differentiability to any order)."""
import numpy as np
import pytest
from support.finite_differences import numerical_grad

import tinygrad_udl as tg
from tinygrad_udl.distributions import Bernoulli, Categorical, MultivariateNormal, Normal, kl_divergence


def normal_terms(t):
    d = Normal(t[0], t[1].exp())
    return d.log_prob(0.7) + kl_divergence(d, Normal(0.0, 1.0))


def categorical_terms(z):
    d = Categorical(logits=z)
    return d.log_prob(1) + d.entropy()


def bernoulli_terms(p):
    d = Bernoulli(probs=p)
    return d.entropy().sum() + d.log_prob(np.array([1.0, 0.0])).sum()


def mvn_terms(a):
    a = a.reshape(2, 2)
    d = MultivariateNormal(np.zeros(2), covariance_matrix=a @ a.T + 0.3 * np.eye(2))
    prior = MultivariateNormal(np.ones(2), scale_tril=np.eye(2))
    return d.log_prob(np.array([0.5, -1.0])) + kl_divergence(d, prior)


@pytest.mark.parametrize("f, x", [(normal_terms, [0.3, -0.2]), (categorical_terms, [0.3, -0.2, 1.0]),
                                  (bernoulli_terms, [0.3, 0.6]), (mvn_terms, [1.0, 0.2, 0.1, 0.8])],
                         ids=["normal", "categorical", "bernoulli", "mvn"])
def test_hessian_matches_finite_differences_of_the_gradient(f, x):
    x = np.array(x)
    hessian = tg.hessian(f)(tg.Tensor(x)).data

    def grad_entry(i):
        return lambda v: tg.grad(f)(tg.Tensor(v)).data[i]

    expected = np.stack([numerical_grad(grad_entry(i), x) for i in range(x.size)])
    np.testing.assert_allclose(hessian, expected, rtol=1e-6, atol=1e-8)
