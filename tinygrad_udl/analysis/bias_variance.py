"""Noise, bias and variance of the simplified shallow network (section 8.2, figs. 8.4-8.9).

The simplified network of fig. 8.4 fixes the first layer: hidden unit d (of D) is
h_d = ReLU[x − (d − 1)/D], slope one, joints evenly spaced at 0, 1/D, ..., (D − 1)/D, so the
model "can represent any piecewise linear function with D equally-sized regions in the range
[0, 1]". Only φ = {β, ω_1, ..., ω_D} of f[x] = β + Σ_d ω_d h_d is fitted, in closed form by least
squares (problem 8.3); with fewer data points than parameters, the minimum-norm solution.

For data y = µ[x] + ε, ε ~ N(0, σ²) (fig. 8.3's generator: µ[x] = exp(sin 2πx), σ = 0.3, one
x per equal segment of [0, 1]), the expected test loss at x over training sets D and test noise
splits into three terms (eqs. 8.4-8.7):

    E_D[E_y[L]] = E_D[(f[x, φ[D]] − f_µ[x])²]  +  (f_µ[x] − µ[x])²  +  σ²
                  variance                        bias                 noise

with f_µ[x] = E_D[f[x, φ[D]]] (the book calls the squared term "bias"). `bias_variance` averages
each term over x ∈ [0, 1] (a fine grid) and over `datasets` training sets, and estimates the
expected test error independently by Monte Carlo (fresh test points with noise) to check the sum.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_generator
from ..data import make_quasi_sinusoid_1d, quasi_sinusoid

NOISE_STD = 0.3  # σ of fig. 8.3's data (the companion notebooks' value; the book prints none)


def simplified_features(x, capacity) -> np.ndarray:
    """The design matrix [1, h_1, ..., h_D] (N × (D + 1)) with h_d = ReLU[x − (d − 1)/D] (fig. 8.4)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    joints = np.arange(capacity) / capacity
    return np.concatenate([np.ones_like(x), np.maximum(x - joints, 0.0)], axis=1)


def fit_simplified(x, y, capacity) -> np.ndarray:
    """φ = (β, ω_1, ..., ω_D) minimising the least-squares loss; the minimum-norm solution when the
    data do not determine it (regions without data points)."""
    return np.linalg.lstsq(simplified_features(x, capacity), np.asarray(y, np.float64), rcond=None)[0]


def predict_simplified(phi, x) -> np.ndarray:
    """f[x, φ] of the simplified network with φ = (β, ω_1, ..., ω_D)."""
    return simplified_features(x, len(phi) - 1) @ phi


def bias_variance(capacity, n_train=15, noise_std=NOISE_STD, datasets=1000, test_points=100, grid_points=1001,
                  rng=0) -> dict:
    """The terms of eq. 8.7 for the simplified network with `capacity` hidden units fitted to
    `n_train` points of fig. 8.3's generator, over `datasets` training sets drawn from `rng`.

    Returns bias, variance and noise (each averaged over x uniform on [0, 1]), their sum
    `expected_error`, and `test_error`: the mean squared error on `test_points` fresh noisy test
    points per training set (an independent Monte Carlo estimate of the same expectation), with its
    standard error `test_error_se`; also `train_error`, the mean training loss per point.
    """
    gen = as_generator(rng, "bias_variance")
    xs = np.linspace(0.0, 1.0, grid_points)
    features = simplified_features(xs, capacity)
    predictions = np.empty((datasets, grid_points))
    test_errors, train_errors = np.empty(datasets), np.empty(datasets)
    for i in range(datasets):
        x, y = make_quasi_sinusoid_1d(n_train, rng=gen, noise_std=noise_std)
        phi = fit_simplified(x, y, capacity)
        predictions[i] = features @ phi
        train_errors[i] = np.mean((predict_simplified(phi, x) - y) ** 2)
        x_test = gen.uniform(0.0, 1.0, test_points)
        y_test = quasi_sinusoid(x_test) + noise_std * gen.standard_normal(test_points)
        test_errors[i] = np.mean((predict_simplified(phi, x_test) - y_test) ** 2)
    mean = predictions.mean(axis=0)                                  # f_µ[x]
    variance = float(np.mean(predictions.var(axis=0)))               # E_x E_D[(f − f_µ)²]
    bias = float(np.mean((mean - quasi_sinusoid(xs)) ** 2))          # E_x (f_µ − µ)²
    noise = float(noise_std ** 2)
    return {"bias": bias, "variance": variance, "noise": noise, "bias_plus_variance": bias + variance,
            "expected_error": bias + variance + noise, "test_error": float(test_errors.mean()),
            "test_error_se": float(test_errors.std(ddof=1) / np.sqrt(datasets)) if datasets > 1 else 0.0,
            "train_error": float(train_errors.mean())}
