"""The data the diffusion models of chapter 18 learn: three exact densities and the 8×8 digits.

- The 1-D mixture of figs. 18.4-18.8. The book says only that its density has mean 0 and standard
  deviation 1 (fig. 18.4) and draws a multi-modal curve. We take the four-Gaussian mixture of the
  book's companion notebooks (Notebooks 18.1-18.3: means 1.5, −0.216, 0.45, −1.875; standard
  deviations 0.3, 0.15, 0.525, 0.075; weights 0.2, 0.3, 0.35, 0.15), whose mean is 0.111 and
  standard deviation 1.083, and standardise it (x ↦ (x − m)/s) so that it has exactly the mean
  0 and standard deviation 1 the figure states. Its density, moments and quantiles are exact.
- The 2-D ring of eight Gaussians and the two moons (`data.ring_of_gaussians`, `data.two_moons`),
  also exact densities.
- scikit-learn's 8×8 digits, scaled from [0, 1] to [−1, 1] (x ↦ 2x − 1): the data then have the
  scale of the noise ε they are mixed with, as in the image models the chapter describes.

Each task's training and test examples are drawn from fixed seeds. A `Split` holds pairs (x, y); the
models use x only (y is the digit's label, or zeros for the densities, which have no labels).
"""
from __future__ import annotations

import functools

import numpy as np

from ....data import GaussianMixture, ring_of_gaussians, two_moons
from ...tasks import Split, Task
from ..data import tanh_range_digits, unlabelled

__all__ = ["NOTEBOOK_MIXTURE", "book_mixture_1d", "DENSITIES", "TASKS", "mean_of_terms"]

# (means, standard deviations, weights) of the companion notebooks' 1-D data (Notebook 18.1)
NOTEBOOK_MIXTURE = ((1.5, -0.216, 0.45, -1.875), (0.3, 0.15, 0.525, 0.075), (0.2, 0.3, 0.35, 0.15))


def book_mixture_1d() -> GaussianMixture:
    """The notebooks' four-Gaussian mixture standardised to mean 0 and s.d. 1 (fig. 18.4)."""
    means, stds, weights = (np.asarray(a, dtype=np.float64) for a in NOTEBOOK_MIXTURE)
    mean = weights @ means
    std = np.sqrt(weights @ (stds ** 2 + means ** 2) - mean ** 2)
    return GaussianMixture(((means - mean) / std)[:, None], (stds / std) ** 2, weights)


DENSITIES = {"mixture-1d": book_mixture_1d, "ring": ring_of_gaussians, "moons": two_moons}


@functools.cache
def density_split(name, train=20_000, test=10_000) -> Split:
    """`train` and `test` draws (seeds 0 and 1) from the density `name` of `DENSITIES`, as float32."""
    density = DENSITIES[name]()
    return Split(*(unlabelled(density.sample(n, seed)) for n, seed in ((train, 0), (test, 1))))


def mean_of_terms(out, y):
    """The mean of a `DiffusionModel`'s per-example loss terms, `model(x)` (`y` is unused)."""
    return out.mean()


def _task(name, description, load):
    return Task(name, description, load, mean_of_terms, loss_name="eps-MSE")


TASKS = {
    "mixture-1d": _task("mixture-1d", "the 1-D four-Gaussian mixture of figs. 18.4-18.8, mean 0, s.d. 1 "
                        "(20,000 training and 10,000 test draws)", lambda: density_split("mixture-1d")),
    "ring": _task("ring", "a ring of 8 Gaussians, radius 2, s.d. 0.05 (20,000 training and 10,000 test draws)",
                  lambda: density_split("ring")),
    "moons": _task("moons", "two moons blurred by Gaussian noise of s.d. 0.1 (20,000 training and 10,000 test draws)",
                   lambda: density_split("moons")),
    "digits": _task("digits", "scikit-learn's 8x8 digits scaled to [-1, 1] (1,438 training, 359 test images)",
                    tanh_range_digits),
}
