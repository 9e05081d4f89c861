"""The 2-D densities the flows of chapter 16 are trained on, as zoo tasks.

Each task draws a training and a test set from a density whose log-density is known exactly
(`tinygrad_udl.data.densities`), so a model's test negative log-likelihood can be printed beside
the density's entropy H[p] = −E_p[log p(x)], the lowest expected NLL any model can reach. The
targets are placeholders (zeros): a density model has none.
"""
from __future__ import annotations

import functools

import numpy as np

from ....data import GaussianMixture, ring_of_gaussians, two_moons
from ...tasks import Split, Task
from .density import negative_log_likelihood

TRAIN_POINTS, TEST_POINTS = 5_000, 5_000


def three_gaussians():
    """Three correlated Gaussians of unequal weights: a mixture a linear flow cannot fit."""
    means = [[-1.5, 0.0], [1.5, 0.0], [0.0, 1.8]]
    covariances = [[[0.30, 0.20], [0.20, 0.30]], [[0.30, -0.20], [-0.20, 0.30]], [[0.5, 0.0], [0.0, 0.08]]]
    return GaussianMixture(means, covariances, [0.4, 0.35, 0.25])


DENSITIES = {
    "two-moons": (lambda: two_moons(noise=0.1), "two moons blurred by N(0, 0.1²)"),
    "ring": (lambda: ring_of_gaussians(k=8, radius=2.0, std=0.05), "8 Gaussians (std 0.05) on a circle of radius 2"),
    "three-gaussians": (three_gaussians, "three correlated Gaussians"),
}


@functools.cache
def density(name) -> GaussianMixture:
    """The exact density called `name` (one of `DENSITIES`)."""
    if name not in DENSITIES:
        raise KeyError(f"no 2-D density called {name!r}; known: {', '.join(DENSITIES)}")
    return DENSITIES[name][0]()


@functools.cache
def density_split(name) -> Split:
    """5,000 training and 5,000 test points of the density (seeds 0 and 1), float32."""
    p = density(name)
    train, test = (p.sample(n, seed).astype(np.float32) for n, seed in ((TRAIN_POINTS, 0), (TEST_POINTS, 1)))
    return Split((train, np.zeros(len(train), np.float32)), (test, np.zeros(len(test), np.float32)))


def density_task(name) -> Task:
    """The zoo task: fit the density `name` by maximum likelihood (eq. 16.8)."""
    return Task(f"density-{name}", f"{DENSITIES[name][1]}: {TRAIN_POINTS:,} training / {TEST_POINTS:,} test points",
                functools.partial(density_split, name), negative_log_likelihood, loss_name="NLL (nats)")


def grid_mass(log_prob, points, low, high):
    """∫ exp(log_prob) over the box [low, high]² by the midpoint rule on points × points cells:
    ≈ 1 for a normalised density whose mass lies in the box. `log_prob` maps (n, 2) numpy points
    to n numbers."""
    width = (np.asarray(high, np.float64) - np.asarray(low, np.float64)) / points
    axes = [lo + (np.arange(points) + 0.5) * w for lo, w in zip(low, width)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
    return float(np.exp(log_prob(grid)).sum() * np.prod(width))
