"""The data the VAEs of chapter 17 are trained on, as zoo tasks (targets are placeholders).

- `binary-digits`: scikit-learn's 8×8 digits (1,438 training / 359 test images) binarised at
  intensity 0.5, so that a Bernoulli decoder is a proper likelihood and log Pr(x) is the log of a
  probability (≤ 0).
- `mnist1d`: MNIST-1D's 40-sample signals (4,000 / 1,000), real-valued: a Gaussian decoder.
- `ppca`: 2,000 / 2,000 draws of a probabilistic-PCA model, x = W z + μ + ε, with a 3-D latent in
  8 dimensions (`PPCA_WEIGHT`, `PPCA_MEAN`, `PPCA_NOISE_STD`): its log-likelihood is known exactly.
"""
from __future__ import annotations

import functools

import numpy as np

from ....data import load_digits, load_mnist1d
from ...tasks import Split, Task
from ..data import unlabelled
from .linear import sample_ppca

PPCA_DATA_DIM, PPCA_LATENT_DIM, PPCA_NOISE_STD = 8, 3, 0.5
PPCA_POINTS = 2_000


def _ppca_parameters():
    """W (8×3) with orthogonal columns of norms 2, √2 and 1 (signal variances 4, 2 and 1, so the
    covariance's top eigenvalues are 4.25, 2.25 and 1.25 above a noise floor of 0.25) in a random
    orientation (seed 0), and a random mean."""
    gen = np.random.default_rng(0)
    basis, _ = np.linalg.qr(gen.standard_normal((PPCA_DATA_DIM, PPCA_LATENT_DIM)))
    return basis * np.sqrt([4.0, 2.0, 1.0]), gen.normal(0.0, 1.0, PPCA_DATA_DIM)


PPCA_WEIGHT, PPCA_MEAN = _ppca_parameters()


def negative_elbo(elbo, y=None):
    """The VAE's loss: −mean ELBO over the batch (`y` is a placeholder)."""
    return -elbo.mean()


_unlabelled = functools.partial(unlabelled, label_dtype=np.float32)   # this chapter's placeholders are float32


@functools.cache
def binary_digits() -> Split:
    (x_train, _), (x_test, _) = load_digits()
    return Split(_unlabelled(x_train > 0.5), _unlabelled(x_test > 0.5))


@functools.cache
def mnist1d() -> Split:
    data = load_mnist1d()
    return Split(_unlabelled(data.x_train), _unlabelled(data.x_test))


@functools.cache
def ppca() -> Split:
    return Split(*(_unlabelled(sample_ppca(PPCA_POINTS, PPCA_WEIGHT, PPCA_MEAN, PPCA_NOISE_STD, seed))
                   for seed in (1, 2)))


def _task(name, description, load):
    return Task(name, description, load, negative_elbo, loss_name="-ELBO (nats)")


TASKS = {task.name: task for task in (
    _task("binary-digits", "8x8 digits binarised at 0.5, 1,438 training / 359 test images", binary_digits),
    _task("mnist1d-signals", "MNIST-1D signals without labels, 4,000 / 1,000", mnist1d),
    _task("ppca", "probabilistic PCA: 3-D latent, 8-D data, noise std 0.5; 2,000 / 2,000 points", ppca),
)}
