"""Probability distributions with PyTorch's names: the likelihoods of chapter 5 and the Gaussians
of chapter 17, differentiable in their parameters.

    Normal(loc, scale)                                   eq. 5.7      rsample (section 17.7)
    MultivariateNormal(loc, covariance_matrix=None, scale_tril=None)
                                                         eq. B.17     rsample (eq. 17.25)
    Categorical(probs=None, logits=None)                 eq. 5.21     logits -> softmax, eq. 5.22
    Bernoulli(probs=None, logits=None)                   eq. 5.17     logits -> sigmoid, eq. 5.18
    kl_divergence(p, q)                                  eq. B.24 in closed form (B.28 for normals)

Every distribution has `sample(sample_shape=(), rng=None)` (a constant Tensor; `rng` is a seed, a
numpy Generator, or None for the library's generator), `log_prob(value)`, `entropy()`, `mean`,
`mode`, `variance`, `stddev`, `batch_shape` and `event_shape`. See docs/distributions.md.
"""
from .discrete import Bernoulli, Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import MultivariateNormal, Normal

__all__ = ["Bernoulli", "Categorical", "Distribution", "MultivariateNormal", "Normal", "kl_divergence",
           "register_kl"]
