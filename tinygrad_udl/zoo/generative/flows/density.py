"""A normalizing flow as a density model: a base density and an invertible network (section 16.2).

    Pr(x | φ) = |∂f[z, φ]/∂z|⁻¹ · Pr(z),  z = f⁻¹[x, φ]                        (eq. 16.3)

with the standard normal base density Pr(z) = N(0, I) and f a `FlowLayer` (usually a
`FlowSequence`, eqs. 16.4-16.7). Training minimises the negative log-likelihood of eq. 16.8,
Σ_i [log |∂f[z_i]/∂z_i| − log Pr(z_i)], averaged over the batch here.
"""
from __future__ import annotations

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....checks import as_generator, check_int
from ....distributions import Normal
from ....nn.module import Module
from .base import check_rows


class NormalizingFlow(Module):
    """`NormalizingFlow(transform)`: the density of eq. 16.3 for an invertible `transform` (a
    `FlowLayer`, z -> x) and the base density N(0, I) in transform.dim dimensions.

    Calling the model evaluates the density: `model(x)` is log Pr(x | φ) per row (shape (N,)), so
    the zoo's loss is its negative mean (eq. 16.8). `sample(n, rng)` draws z ~ N(0, I) and returns
    f[z] (section 16.2). The parameters are the transform's (`transform.…`); the base density has
    none.
    """

    def __init__(self, transform):
        super().__init__()
        self.transform = transform
        self.dim = transform.dim

    def base_log_prob(self, z):
        """log N(z; 0, I), summed over the D coordinates of each row."""
        return Normal(np.zeros((), z.dtype), np.ones((), z.dtype)).log_prob(z).sum(-1)

    def log_prob(self, x):
        """log Pr(x) = log Pr(z) − log |∂f[z]/∂z| at z = f⁻¹[x] (eq. 16.3's logarithm)."""
        x = check_rows(x, self.dim, "NormalizingFlow.log_prob")
        z, log_det = self.transform.inverse_and_log_det(x)
        return self.base_log_prob(z) - log_det

    def forward(self, x):
        return self.log_prob(x)

    def sample(self, n, rng=None):
        """`n` draws x = f[z], z ~ N(0, I) (a constant Tensor of shape (n, D))."""
        n = check_int(n, "n", "NormalizingFlow.sample", minimum=0)
        z = as_generator(rng, "NormalizingFlow.sample").standard_normal((n, self.dim))
        dtype = next(iter(self.parameters()), Tensor(np.zeros(0))).dtype
        with no_grad():
            return self.transform(Tensor(z.astype(dtype)))


def negative_log_likelihood(log_prob, y=None):
    """The loss of eq. 16.8 averaged over the batch: −mean log Pr(x_i). `y` is ignored (density
    models have no targets; the zoo's tasks pass placeholders)."""
    return -log_prob.mean()
