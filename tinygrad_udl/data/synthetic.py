"""The book's small synthetic data sets, each generated from an explicit seed or Generator.

Every generator takes `rng`: a numpy `Generator` (its stream is consumed) or an int seed (a fresh
`np.random.default_rng(seed)`), so a figure's data can be regenerated exactly. Inputs and targets
are float64 numpy arrays; class labels are int64.

The book does not print its data: where the text gives the generating process (figs. 6.3, 8.3)
it is followed exactly, and the unstated constants (noise levels, the fig. 2.2 line) are chosen
so that the data resemble the figures; each docstring says which is which.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_generator, check_int, check_nonnegative


def make_linear_1d(n: int = 12, *, rng, phi0: float = 0.82, phi1: float = 0.52,
                   noise_std: float = 0.14, x_range: tuple[float, float] = (0.0, 2.0)):
    """1-D linear-regression data like fig. 2.2a (section 2.2): y = phi0 + phi1 x + noise (eq. 2.4).

    The book's 12 points come from the companion notebooks and are not printed; this draws
    `n` points with x uniform on `x_range` and Gaussian noise of standard deviation `noise_std`.
    The defaults make data resembling fig. 2.2: the true line is the book's optimum
    (phi0, phi1) = (0.82, 0.52) (from the errata), and noise_std = 0.14 makes the expected
    least-squares minimum (n - 2) * noise_std**2 ~ 0.20 comparable to the printed L = 0.19.

    Returns:
        x, y: arrays of shape (n,).
    """
    where = "make_linear_1d"
    n = check_int(n, "n", where, minimum=1)
    noise_std = check_nonnegative(noise_std, "noise_std", where)
    low, high = _check_range(x_range, "x_range", where)
    gen = as_generator(rng, where)
    x = gen.uniform(low, high, size=n)
    y = phi0 + phi1 * x + noise_std * gen.standard_normal(n)
    return x, y


def gabor(x, phi0: float = 0.0, phi1: float = 16.6):
    """The Gabor model of eq. 6.8: sin(phi0 + 0.06 phi1 x) * exp(-(phi0 + 0.06 phi1 x)^2 / 32).

    The defaults are the parameters that generated the book's fig. 6.3 data.
    """
    z = phi0 + 0.06 * phi1 * np.asarray(x, dtype=np.float64)
    return np.sin(z) * np.exp(-z**2 / 32.0)


def make_gabor_1d(n: int = 28, *, rng, phi0: float = 0.0, phi1: float = 16.6,
                  noise_std: float = 0.16):
    """Training data for the Gabor model, as in fig. 6.3 (section 6.1.2).

    As the caption says: x uniform on [-15, 15], passed through the Gabor model (eq. 6.8) with
    phi = [0.0, 16.6], plus normally distributed noise. The book has 28 pairs (the companion
    notebooks ship 30). The noise level is not printed: noise_std = 0.16 makes the expected
    minimum of the least-squares loss (eq. 6.9), about (n - 2) * noise_std**2 ~ 0.67, comparable
    to the global minimum L = 0.64 of fig. 6.4c.

    Returns:
        x, y: arrays of shape (n,).
    """
    where = "make_gabor_1d"
    n = check_int(n, "n", where, minimum=1)
    noise_std = check_nonnegative(noise_std, "noise_std", where)
    gen = as_generator(rng, where)
    x = gen.uniform(-15.0, 15.0, size=n)
    y = gabor(x, phi0, phi1) + noise_std * gen.standard_normal(n)
    return x, y


def quasi_sinusoid(x):
    """The "quasi-sinusoidal" true function mu(x) of fig. 8.3: exp(sin(2 pi x)) on [0, 1].

    The book only draws it; this is the function the companion notebooks use (docs/conventions.md, "Data";
    chapter 8). Needed for the bias term (f_mu[x] - mu[x])^2 of eqs. 8.4-8.7.
    """
    return np.exp(np.sin(2.0 * np.pi * np.asarray(x, dtype=np.float64)))


def make_quasi_sinusoid_1d(n: int = 15, *, rng, noise_std: float = 0.3):
    """The 1-D regression data of section 8.2 and fig. 8.3 (bias, variance, double descent).

    As the fig. 8.3 caption says: [0, 1] is divided into n equal segments, one x is drawn
    uniformly within each segment, and y = mu(x) + Gaussian noise with a fixed variance, where
    mu is `quasi_sinusoid`. The noise level is not printed; noise_std = 0.3 is the companion
    notebooks' value (docs/conventions.md, "Data"). Test data are generated in the same way (call again with
    another seed). The book's data sets have 6, 10, 15 and 100 points (figs. 8.5-8.9).

    Returns:
        x, y: arrays of shape (n,); x is increasing (one point per segment, in order).
    """
    where = "make_quasi_sinusoid_1d"
    n = check_int(n, "n", where, minimum=1)
    noise_std = check_nonnegative(noise_std, "noise_std", where)
    gen = as_generator(rng, where)
    x = (np.arange(n) + gen.uniform(0.0, 1.0, size=n)) / n
    y = quasi_sinusoid(x) + noise_std * gen.standard_normal(n)
    return x, y


def make_moons(n: int = 100, *, rng, noise: float = 0.0, shuffle: bool = True):
    """Two interleaving half circles, a 2-D binary classification set (as sklearn's make_moons).

    Not from the book: a standard small benchmark for the binary classifiers of section 5.4
    (sigmoid and binary cross-entropy, eqs. 5.18-5.20). Class 0 is the upper half circle of
    radius 1 centred at (0, 0) (n // 2 points, evenly spaced in angle), class 1 the lower one
    centred at (1, 0.5) (the other points). Gaussian noise of standard deviation `noise` is
    added to both coordinates.

    Returns:
        x: (n, 2) float64 points; y: (n,) int64 labels in {0, 1}.
    """
    where = "make_moons"
    n = check_int(n, "n", where, minimum=2)
    noise = check_nonnegative(noise, "noise", where)
    gen = as_generator(rng, where)
    n_outer = n // 2
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n - n_outer)
    x = np.concatenate([
        np.stack([np.cos(outer), np.sin(outer)], axis=1),
        np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n - n_outer, np.int64)])
    return _noise_and_shuffle(x, y, noise, shuffle, gen)


def make_spirals(n: int = 100, *, rng, n_classes: int = 2, noise: float = 0.0,
                 turns: float = 1.0, shuffle: bool = True):
    """Interleaved spiral arms, a 2-D classification set with `n_classes` classes.

    Not from the book: a standard benchmark that a linear model cannot solve but a small MLP
    (chapters 3-4) with a softmax head (eqs. 5.22-5.24) can. Class k is the arm
    r (cos theta, sin theta) with r evenly spaced in [0, 1] and
    theta = 2 pi (turns * r + k / n_classes); the classes get n // n_classes points each (the
    first n % n_classes classes one more). Gaussian noise of standard deviation `noise` is added
    to both coordinates.

    Returns:
        x: (n, 2) float64 points; y: (n,) int64 labels in 0..n_classes-1.
    """
    where = "make_spirals"
    n_classes = check_int(n_classes, "n_classes", where, minimum=2)
    n = check_int(n, "n", where, minimum=n_classes)
    noise = check_nonnegative(noise, "noise", where)
    turns = check_nonnegative(turns, "turns", where)
    gen = as_generator(rng, where)
    counts = np.full(n_classes, n // n_classes)
    counts[: n % n_classes] += 1
    y = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    # Position along its own arm of each point: 0, 1/(m-1), ..., 1 for an arm of m points.
    start = np.repeat(np.cumsum(counts) - counts, counts)
    size = np.repeat(counts, counts)
    r = (np.arange(n) - start) / np.maximum(size - 1, 1)
    theta = 2.0 * np.pi * (turns * r + y / n_classes)
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return _noise_and_shuffle(x, y, noise, shuffle, gen)


def _noise_and_shuffle(x, y, noise, shuffle, gen):
    x = x + noise * gen.standard_normal(x.shape)
    if shuffle:
        order = gen.permutation(len(y))
        x, y = x[order], y[order]
    return x, y


def _check_range(bounds, name, where):
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise TypeError(
            f"{where}: {name} must be a pair (low, high) of numbers, got {bounds!r}"
        ) from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{where}: {name} must satisfy low < high (both finite), got {bounds!r}")
    return low, high
