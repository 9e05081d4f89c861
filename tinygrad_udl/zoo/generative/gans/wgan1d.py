"""A WGAN critic as a Wasserstein-1 estimator, beside the exact distance (sections 15.2.3-15.2.6).

The dual form of the Wasserstein distance (eq. 15.15) is a maximum over 1-Lipschitz functions,
W₁(p, q) = max_f E_p[f(x)] − E_q[f(x)]; the WGAN critic maximises the sample version of it (eq.
15.16) within a network family, with the Lipschitz constraint (eq. 15.17) imposed by the gradient
penalty. Here the "generator" is held fixed -- it passes its standard normal latent through,
q = N(0, 1) -- and only the critic learns, so after training E_p f − E_q f should approach the
exact W₁ between the data p = 0.5 N(−2, 0.5²) + 0.5 N(2, 0.5²) and q, which the quantile
functions give (`wasserstein.mixture_wasserstein_1d`: ∫|F_p − F_q| dx = 1.2022).
"""
from __future__ import annotations

import numpy as np

from ....autograd.functional import grad
from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....checks import as_generator
from ....nn.linear import Identity
from .adversarial import WGANGP
from .networks import critic_mlp
from .tasks import BIMODAL_1D, STANDARD_NORMAL_1D
from .wasserstein import mixture_wasserstein_1d, sample_wasserstein_1d

ESTIMATE_SAMPLES = 100_000   # fresh samples of p and of q for the critic's final estimate
SLOPE_GRID = np.linspace(-6.0, 6.0, 2001)


class WassersteinCritic1D(WGANGP):
    """`WassersteinCritic1D(hidden=64, penalty=10, undecided=True, rng=0)`: a critic f[x, φ]
    (Linear(1, H), LeakyReLU(0.2), Linear(H, H), LeakyReLU(0.2), Linear(H, 1), the last weights 0
    when `undecided`: `networks.critic_mlp`) against the fixed q = N(0, 1)
    (generator `nn.Identity` on a standard normal latent: no parameters), trained by eq. 15.16 plus
    the gradient penalty. 2H + (H + 1)H + H + 1 = 4,353 parameters for H = 64."""

    def __init__(self, hidden=64, penalty=10.0, undecided=True, rng=0, dtype=None):
        gen = as_generator(rng, "WassersteinCritic1D")
        super().__init__(Identity(), critic_mlp([1, hidden, hidden, 1], undecided=undecided, rng=gen, dtype=dtype),
                         latent_shape=1, penalty=penalty)

    def estimate(self, real, fake):
        """The critic's W₁ estimate E_p f − E_q f from samples (numpy (N, 1)) of p and q."""
        dtype = self._dtype()
        with no_grad():
            return float(self.critic(Tensor(real.astype(dtype))).data.mean()
                         - self.critic(Tensor(fake.astype(dtype))).data.mean())

    def max_slope(self, x=SLOPE_GRID):
        """max |∂f/∂x| over the points `x` (eq. 15.17 asks for <= 1)."""
        points = Tensor(np.asarray(x, self._dtype()).reshape(-1, 1), requires_grad=True)
        (slope,) = grad(self.critic(points).sum(), points)
        return float(np.abs(slope.data).max())


def critic_monitor(model, split, rng):
    """History column: the critic's W₁ estimate on the test set against as many samples of q."""
    real = split.test[0]
    return {"w1_estimate": model.estimate(real, model.sample(len(real), rng))}


def critic_rows(model, history, split):
    """The critic's estimate on fresh samples beside the exact W₁, the samples' own W₁ and its slope."""
    rng = np.random.default_rng(2024)
    real, fake = BIMODAL_1D.sample(ESTIMATE_SAMPLES, rng), STANDARD_NORMAL_1D.sample(ESTIMATE_SAMPLES, rng)
    exact = mixture_wasserstein_1d(BIMODAL_1D, STANDARD_NORMAL_1D)
    slope = model.max_slope()
    return [
        {"metric": "critic's estimate E_p f - E_q f (eq. 15.15)", "book": None, "ours": model.estimate(real, fake),
         "note": f"exact W1 = {exact:.4f} (integral of |F_p - F_q|); a critic of slope <= K estimates at most "
                 f"K W1 = {slope * exact:.4f}; {ESTIMATE_SAMPLES:,} fresh samples of each"},
        {"metric": "W1 of those samples (sorted samples)", "book": None, "ours": sample_wasserstein_1d(real, fake),
         "note": "exact for the two empirical distributions: what sampling alone changes"},
        {"metric": "max |df/dx| on [-6, 6] (eq. 15.17)", "book": None, "ours": slope,
         "note": "1 for a 1-Lipschitz critic; the penalty is soft"},
    ]
