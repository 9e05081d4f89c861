"""The data and loss of each zoo experiment: a `Task` is what a model is trained on.

A task fixes the data (generated from fixed seeds, so every run of an experiment sees the same
examples and only the model's seed varies), the loss (averaged over examples: docs/conventions.md,
"Loss reduction"; the book's sums differ by the constant factor of the batch size, which the
learning rates below absorb) and the error rate for classification (section 8.1). Inputs are
float32 arrays (N, D) or (N, C, L); regression targets are (N, 1) like the models' outputs.

Where the book prints no data (chapters 2-5 and 11), the data sets are the library's synthetic
ones (`tinygrad_udl.data`) or, for the U-Net, a 1-D segmentation problem defined here.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..data import (load_mnist1d, make_linear_1d, make_moons, make_quasi_sinusoid_1d, make_spirals,
                    quasi_sinusoid)
from ..nn.loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from ..training.metrics import binary_error, classification_error
from .supervised.heads import GaussianRegression


@dataclass(frozen=True)
class Split:
    """Training and test data, each a pair (x, y) of numpy arrays."""

    train: tuple
    test: tuple


@dataclass(frozen=True)
class Task:
    """`load()` -> Split; `loss_fn(output, y)` -> scalar Tensor (mean); `error_fn` or None."""

    name: str
    description: str
    load: Callable[[], Split]
    loss_fn: Callable
    error_fn: Callable | None = None
    loss_name: str = "loss"

    @property
    def is_classification(self) -> bool:
        return self.error_fn is not None


def _regression(x, y):
    return np.asarray(x, np.float32).reshape(-1, 1), np.asarray(y, np.float32).reshape(-1, 1)


def _centred(x, y):
    """Inputs on [0, 1] moved to [−1, 1] (x' = 2x − 1). He-initialised ReLU units have zero biases,
    so their joints start at x' = 0 (section 3.1): on [0, 1] every unit with a negative slope would
    be inactive for all the data and never learn; centred, each unit is active on half of it."""
    return _regression(2.0 * np.asarray(x) - 1.0, y)


def _points(x, y):
    return np.asarray(x, np.float32), np.asarray(y, np.int64)


# ---- chapters 2-4: 1-D regression --------------------------------------------------------------------


@functools.cache
def linear_1d() -> Split:
    """Fig. 2.2-like data: 12 training points of y = 0.82 + 0.52x + noise (seed 0), 200 test points."""
    return Split(_regression(*make_linear_1d(12, rng=0)), _regression(*make_linear_1d(200, rng=1)))


QUASI_SINUSOID_NOISE = 0.3  # σ of fig. 8.3's data (the companion notebooks' value)


@functools.cache
def quasi_sinusoid_1d() -> Split:
    """Fig. 8.3's generator (y = exp(sin 2πx) + N(0, 0.3²)): 100 training, 1,000 test points; x centred."""
    return Split(_centred(*make_quasi_sinusoid_1d(100, rng=0, noise_std=QUASI_SINUSOID_NOISE)),
                 _centred(*make_quasi_sinusoid_1d(1000, rng=1, noise_std=QUASI_SINUSOID_NOISE)))


# ---- chapter 5: likelihood heads ---------------------------------------------------------------------


def heteroscedastic_std(x):
    """σ(x) = 0.05 + 0.45x on [0, 1]: noise that grows with x (the setting of eqs. 5.14-5.15)."""
    return 0.05 + 0.45 * np.asarray(x, np.float64)


def make_heteroscedastic_1d(n, rng):
    """x ~ U[0, 1], y = exp(sin 2πx) + σ(x)·ε with ε ~ N(0, 1): the mean of fig. 8.3, a varying σ."""
    gen = np.random.default_rng(rng)
    x = gen.uniform(0.0, 1.0, n)
    return x, quasi_sinusoid(x) + heteroscedastic_std(x) * gen.standard_normal(n)


@functools.cache
def heteroscedastic_1d() -> Split:
    """500 training and 2,000 test points of `make_heteroscedastic_1d` (seeds 0 and 1); x centred."""
    return Split(_centred(*make_heteroscedastic_1d(500, 0)), _centred(*make_heteroscedastic_1d(2000, 1)))


def true_gaussian_nll(x_centred, y) -> float:
    """Mean −log N(y; μ(x), σ(x)²) under the generating distribution (the NLL a perfect model gets),
    for the centred inputs of `heteroscedastic_1d`."""
    x = (np.asarray(x_centred, np.float64).ravel() + 1.0) / 2.0
    y = np.asarray(y, np.float64).ravel()
    var = heteroscedastic_std(x) ** 2
    return float(np.mean(0.5 * np.log(2 * np.pi * var) + (y - quasi_sinusoid(x)) ** 2 / (2 * var)))


@functools.cache
def moons() -> Split:
    """Two moons with noise 0.2: 200 training and 2,000 test points (seeds 0 and 1)."""
    return Split(_points(*make_moons(200, rng=0, noise=0.2)), _points(*make_moons(2000, rng=1, noise=0.2)))


@functools.cache
def spirals() -> Split:
    """Three spiral arms with noise 0.05: 300 training and 3,000 test points (seeds 0 and 1)."""
    return Split(_points(*make_spirals(300, rng=0, n_classes=3, noise=0.05)),
                 _points(*make_spirals(3000, rng=1, n_classes=3, noise=0.05)))


# ---- chapters 8-11: MNIST-1D ---------------------------------------------------------------------------


def mnist1d() -> Split:
    """MNIST-1D as in figs. 8.1-8.2 and 10.8: 4,000 training and 1,000 test examples (generator seed 42)."""
    data = load_mnist1d()
    return Split((data.x_train, data.y_train), (data.x_test, data.y_test))


# ---- section 11.5.3: 1-D segmentation for the U-Net ----------------------------------------------------


PULSE_LENGTH = 64


def make_pulses_1d(n, rng, length=PULSE_LENGTH, noise_std=0.35):
    """1-D segmentation: find the wide pulses in a noisy signal, ignoring the narrow spikes.

    Each signal (length 64) holds 1-3 *pulses* (boxes of width 6-14, height 1, label 1 on their
    support) and 2-5 *spikes* (width 1-2, height 1-2, label 0), plus N(0, 0.35²) noise. A sample is
    labelled by whether it lies in a pulse, which a pointwise rule cannot decide: the label of a
    bright sample depends on its neighbourhood, so the network needs the receptive field that the
    U-Net's encoder-decoder gives (section 11.5.3). Returns x (n, 1, length) float32 and the
    per-sample labels y (n, 1, length) float32 in {0, 1}.
    """
    gen = np.random.default_rng(rng)
    x = np.zeros((n, length))
    y = np.zeros((n, length))
    positions = np.arange(length)
    for i in range(n):
        for _ in range(gen.integers(1, 4)):
            width = gen.integers(6, 15)
            start = gen.integers(0, length - width + 1)
            inside = (positions >= start) & (positions < start + width)
            x[i, inside] = 1.0
            y[i, inside] = 1.0
        for _ in range(gen.integers(2, 6)):
            width = gen.integers(1, 3)
            start = gen.integers(0, length - width + 1)
            inside = (positions >= start) & (positions < start + width) & (y[i] == 0)
            x[i, inside] = gen.uniform(1.0, 2.0)
    x += noise_std * gen.standard_normal(x.shape)
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)


@functools.cache
def pulses_1d() -> Split:
    """1,000 training and 500 test signals of `make_pulses_1d` (seeds 0 and 1)."""
    return Split(make_pulses_1d(1000, 0), make_pulses_1d(500, 1))


# ---- the tasks -------------------------------------------------------------------------------------------

TASKS = {task.name: task for task in (
    Task("linear-1d", "12 points on a noisy line (fig. 2.2-like)", linear_1d, mse_loss, loss_name="MSE"),
    Task("quasi-sinusoid", "100 points of exp(sin 2πx) + N(0, 0.3²) (fig. 8.3)", quasi_sinusoid_1d, mse_loss,
         loss_name="MSE"),
    Task("heteroscedastic", "500 points of exp(sin 2πx) + noise growing with x", heteroscedastic_1d,
         GaussianRegression.nll, loss_name="NLL"),
    Task("moons", "two moons, 200 training points", moons, binary_cross_entropy_with_logits, binary_error,
         loss_name="BCE"),
    Task("spirals", "three spiral arms, 300 training points", spirals, cross_entropy, classification_error,
         loss_name="CE"),
    Task("mnist1d", "MNIST-1D, 4,000 training / 1,000 test (figs. 8.1-8.2)", mnist1d, cross_entropy,
         classification_error, loss_name="CE"),
    Task("pulses", "1-D segmentation of wide pulses among spikes, 1,000 signals", pulses_1d,
         binary_cross_entropy_with_logits, binary_error, loss_name="BCE"),
)}
