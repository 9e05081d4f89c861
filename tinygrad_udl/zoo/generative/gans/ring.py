"""Mode collapse on the ring of 8 Gaussians, and the Wasserstein GANs that avoid it (sections
15.1.4-15.2.6).

The data are 8 Gaussians of standard deviation 0.05 on a circle of radius 2. The three models
share their players -- a fully connected generator from an 8-D standard normal latent to the
plane and a discriminator / critic from the plane to one number, both with two hidden layers of
64 units -- and differ only in the game they play:

- `RingGAN`: the GAN of eqs. 15.3-15.5 with the non-saturating generator loss. The discriminator
  only rewards realism: "the second term does not depend on the generator, which consequently
  doesn't care about coverage" (section 15.2.1), so the generator can drop modes (mode dropping)
  or put all its samples on a few (mode collapse, section 15.1.4, fig. 15.5).
- `RingWGAN`: the Wasserstein GAN of eq. 15.16, its critic's weights clipped to [−clip, clip]
  after every step (section 15.2.6; the book's example is 0.01, the zoo entry uses 0.1: with 0.01
  this small critic is nearly constant and the generator hardly learns), trained with RMSprop
  (Arjovsky et al.).
- `RingWGANGP`: eq. 15.16 plus the gradient penalty 10·(‖∂f/∂x̂‖ − 1)², Adam with β = (0.5, 0.9)
  (Gulrajani et al.).

The zoo entries' schedules (critic steps per generator step, learning rates) are in `entries.py`.

`ring_monitor` reports how many of the 8 modes the samples cover and which share of them is of
high quality (within 3σ of a mode); a perfect generator covers all 8 with 98.89 % of its samples
within 3σ (the χ²₂ mass, `metrics.perfect_quality_fraction`). `ring_rows` adds manifold precision
and recall against the test points (section 14.3).
"""
from __future__ import annotations

import numpy as np

from ....checks import as_generator
from ....metrics import mode_coverage, perfect_quality_fraction, precision_recall
from .adversarial import GAN, WGAN, WGANGP
from .networks import critic_mlp, mlp
from .tasks import RING

RING_LATENT = 8
RING_HIDDEN = 64
RING_SAMPLES = 2000   # generated samples per evaluation (the test set's size)
REFERENCE_SEED = 7    # the final samples and the fresh points of the ring they are compared with


def _players(latent, hidden, undecided, rng, dtype):
    gen = as_generator(rng, "ring model")
    generator = mlp([latent, hidden, hidden, 2], rng=gen, dtype=dtype)
    critic = critic_mlp([2, hidden, hidden, 1], undecided=undecided, rng=gen, dtype=dtype)
    return generator, critic


class RingGAN(GAN):
    """`RingGAN(latent=8, hidden=64, undecided=True, rng=0)`: the GAN of section 15.1 on the ring
    (eqs. 15.3-15.5, non-saturating generator loss).

    generator: Linear(L, H), ReLU, Linear(H, H), ReLU, Linear(H, 2); discriminator: Linear(2, H),
    LeakyReLU(0.2), Linear(H, H), LeakyReLU(0.2), Linear(H, 1), a logit, whose last weights start
    at 0 when `undecided` (`networks.critic_mlp`). He-uniform weights otherwise. Parameters:
    generator (L + 1)H + (H + 1)H + (H + 1)2, discriminator 3H + (H + 1)H + (H + 1): 9,283 for L = 8, H = 64.
    """

    def __init__(self, latent=RING_LATENT, hidden=RING_HIDDEN, undecided=True, rng=0, dtype=None):
        super().__init__(*_players(latent, hidden, undecided, rng, dtype), latent_shape=latent, saturating=False)


class RingWGAN(WGAN):
    """`RingWGAN(latent=8, hidden=64, clip=0.01, undecided=True, rng=0)`: the Wasserstein GAN of eq.
    15.16 with the critic's weights clipped to [−clip, clip] (section 15.2.6); `RingGAN`'s players,
    the critic's output a score. 9,283 parameters for L = 8, H = 64 (the count of `RingGAN`)."""

    def __init__(self, latent=RING_LATENT, hidden=RING_HIDDEN, clip=0.01, undecided=True, rng=0, dtype=None):
        super().__init__(*_players(latent, hidden, undecided, rng, dtype), latent_shape=latent, clip=clip)


class RingWGANGP(WGANGP):
    """`RingWGANGP(latent=8, hidden=64, penalty=10, undecided=True, rng=0)`: eq. 15.16 plus
    λ(‖∂f/∂x̂‖₂ − 1)² at random points between real and generated pairs (a soft eq. 15.17;
    WGAN-GP); `RingGAN`'s players (no batch norm in the critic, which the penalty needs). 9,283
    parameters for L = 8, H = 64."""

    def __init__(self, latent=RING_LATENT, hidden=RING_HIDDEN, penalty=10.0, undecided=True, rng=0, dtype=None):
        super().__init__(*_players(latent, hidden, undecided, rng, dtype), latent_shape=latent, penalty=penalty)


def ring_coverage(samples):
    """`metrics.mode_coverage` of `samples` (N, 2) on the ring's modes (3σ, a tenth of a fair share)."""
    return mode_coverage(samples, RING.means, float(RING.covariances[0, 0, 0]) ** 0.5)


def ring_monitor(model, split, rng):
    """History columns: modes covered and the percentage of high-quality samples."""
    coverage = ring_coverage(model.sample(RING_SAMPLES, rng))
    return {"modes": coverage.modes, "high_quality": 100.0 * coverage.quality}


def ring_rows(model, history, split):
    """Modes covered, high-quality share and precision / recall of 2,000 samples, each beside what
    a perfect generator gets (exactly, or measured on 2,000 fresh points of the ring itself)."""
    n = len(split.test[0])
    rng = np.random.default_rng(REFERENCE_SEED)
    samples, fresh = model.sample(n, rng), RING.sample(n, rng)
    ours, truth = ring_coverage(samples), ring_coverage(fresh)
    modes = len(RING.means)
    ours_pr, truth_pr = precision_recall(split.test[0], samples), precision_recall(split.test[0], fresh)
    return [
        {"metric": f"modes covered (of {modes}; >= 10 % of a fair share within 3 sd)", "book": None,
         "ours": ours.modes, "note": f"a perfect generator: {modes} ({n:,} fresh points of the ring: {truth.modes}); "
                                     "samples per mode " + " ".join(str(c) for c in ours.counts)},
        {"metric": "high-quality samples: within 3 sd of a mode (%)", "book": None, "ours": 100.0 * ours.quality,
         "note": f"exact for a perfect generator: P(chi2_2 <= 9) = {100 * perfect_quality_fraction(3.0, 2):.2f} % "
                 f"({n:,} fresh points: {100 * truth.quality:.2f} %)"},
        {"metric": f"precision / recall vs the {n:,} test points (section 14.3, k = 3)", "book": None,
         "ours": f"{ours_pr.precision:.3f} / {ours_pr.recall:.3f}",
         "note": f"{n:,} fresh points of the ring: {truth_pr.precision:.3f} / {truth_pr.recall:.3f}"},
    ]
