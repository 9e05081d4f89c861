"""The data of chapter 15's experiments, as zoo `Task`s.

A GAN learns from examples only; a task's targets y are what the data come with (the digit's
class, the ring's mode) and no loss uses them. The models return their discriminator's loss per
pair of a real and a generated example (`AdversarialPair.forward`), so every task's loss is the
mean of the model's output. Data come from fixed seeds, so only the model's seed varies.
"""
from __future__ import annotations

import functools

import numpy as np

from ....data import GaussianMixture, ring_of_gaussians
from ...tasks import Split, Task
from ..data import tanh_range_digits, unlabelled

DATA_MEAN_1D = 6.0            # fig. 15.1's real data, N(6, 1): the book does not give its distribution
RING = ring_of_gaussians(8)   # 8 modes of s.d. 0.05 on a circle of radius 2
# wgan-1d: the critic measures how far N(0, 1) is from an equal mixture of N(±2, 0.5²)
BIMODAL_1D = GaussianMixture([[-2.0], [2.0]], [0.25, 0.25], [0.5, 0.5])
STANDARD_NORMAL_1D = GaussianMixture([[0.0]], [1.0], [1.0])


def mean_of_terms(out, y):
    """The mean of the model's per-pair losses (`y` is unused: a GAN needs no targets)."""
    return out.mean()


def _mixture_points(mixture, n, seed):
    """n points of `mixture` (float32) labelled with their most likely component."""
    x = mixture.sample(n, seed)
    return x.astype(np.float32), mixture.component_log_probs(x).argmax(axis=1).astype(np.int64)


@functools.cache
def gaussian_1d() -> Split:
    """Fig. 15.1's real examples: 1,000 training and 1,000 test points of N(6, 1), shape (N, 1)."""
    gen = np.random.default_rng(0)
    return Split(unlabelled(gen.normal(DATA_MEAN_1D, 1.0, (1000, 1))),
                 unlabelled(gen.normal(DATA_MEAN_1D, 1.0, (1000, 1))))


@functools.cache
def ring() -> Split:
    """The ring of 8 Gaussians: 10,000 training and 2,000 test points, labelled by mode."""
    return Split(_mixture_points(RING, 10_000, 0), _mixture_points(RING, 2_000, 1))


@functools.cache
def bimodal_1d() -> Split:
    """wgan-1d's real examples: 10,000 training and 10,000 test points of the N(±2, 0.5²) mixture."""
    return Split(_mixture_points(BIMODAL_1D, 10_000, 0), _mixture_points(BIMODAL_1D, 10_000, 1))


GAN_TASKS = {task.name: task for task in (
    Task("gaussian-1d", "1,000 points of N(6, 1) (fig. 15.1's real examples)", gaussian_1d, mean_of_terms,
         loss_name="discriminator loss"),
    Task("ring-of-8", "10,000 points of 8 Gaussians (s.d. 0.05) on a circle of radius 2", ring, mean_of_terms,
         loss_name="discriminator (critic) loss"),
    Task("bimodal-1d", "10,000 points of 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2)", bimodal_1d, mean_of_terms,
         loss_name="critic loss"),
    Task("digits-gan", "scikit-learn's 8x8 digits in [-1, 1]: 1,438 training, 359 test images", tanh_range_digits,
         mean_of_terms, loss_name="discriminator loss"),
)}
