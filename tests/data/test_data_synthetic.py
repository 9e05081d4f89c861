"""Synthetic data sets: shapes, seeding, the generating processes the book describes, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.data import (gabor, make_gabor_1d, make_linear_1d, make_moons,
                               make_quasi_sinusoid_1d, make_spirals, quasi_sinusoid)

GENERATORS = [make_linear_1d, make_gabor_1d, make_quasi_sinusoid_1d, make_moons, make_spirals]


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(make):
    a, b, c = make(rng=5), make(rng=5), make(rng=6)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("make", GENERATORS)
def test_int_seed_equals_generator_with_that_seed(make):
    for u, v in zip(make(rng=9), make(rng=np.random.default_rng(9))):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("make", GENERATORS)
def test_rng_is_required_and_checked(make):
    with pytest.raises(TypeError):
        make()
    with pytest.raises(TypeError, match=make.__name__):
        make(rng="seed")
    with pytest.raises(ValueError, match=make.__name__):
        make(rng=-3)


@pytest.mark.parametrize("make, n", [(make_linear_1d, 12), (make_gabor_1d, 28),
                                     (make_quasi_sinusoid_1d, 15)])
def test_regression_sets_default_sizes(make, n):
    x, y = make(rng=0)
    assert x.shape == y.shape == (n,)
    assert x.dtype == y.dtype == np.float64


def test_linear_without_noise_lies_on_the_line():
    x, y = make_linear_1d(50, rng=0, phi0=0.3, phi1=-2.0, noise_std=0.0, x_range=(-1.0, 4.0))
    np.testing.assert_allclose(y, 0.3 - 2.0 * x)
    assert x.min() >= -1.0 and x.max() <= 4.0


def test_linear_noise_has_the_requested_level():
    x, y = make_linear_1d(20000, rng=1, noise_std=0.14)
    slope, intercept = np.polyfit(x, y, 1)
    assert abs(intercept - 0.82) < 0.01 and abs(slope - 0.52) < 0.01
    residual = y - (intercept + slope * x)
    assert abs(residual.std() - 0.14) < 0.005


def test_gabor_matches_eq_6_8_at_known_points():
    assert gabor(0.0) == 0.0
    # phi0 + 0.06 phi1 x = pi/2 gives sin = 1, so f = exp(-(pi/2)^2 / 32).
    x = (np.pi / 2) / (0.06 * 16.6)
    np.testing.assert_allclose(gabor(x), np.exp(-(np.pi / 2) ** 2 / 32.0))
    # phi0 shifts the argument: phi0 = pi/2 at x = 0 gives the same value.
    np.testing.assert_allclose(gabor(0.0, phi0=np.pi / 2, phi1=3.0),
                               np.exp(-(np.pi / 2) ** 2 / 32.0))
    xs = np.linspace(-15, 15, 31)
    np.testing.assert_allclose(gabor(-xs), -gabor(xs))  # odd when phi0 = 0


def test_gabor_data_follows_fig_6_3():
    x, y = make_gabor_1d(5000, rng=2, noise_std=0.0)
    assert x.min() >= -15.0 and x.max() <= 15.0
    assert x.min() < -14.9 and x.max() > 14.9  # uniform over the whole interval
    z = 0.06 * 16.6 * x
    np.testing.assert_allclose(y, np.sin(z) * np.exp(-z**2 / 32.0))
    x, y = make_gabor_1d(20000, rng=3, noise_std=0.16)
    z = 0.06 * 16.6 * x
    assert abs((y - np.sin(z) * np.exp(-z**2 / 32.0)).std() - 0.16) < 0.005


def test_quasi_sinusoid_values():
    np.testing.assert_allclose(quasi_sinusoid([0.0, 0.25, 0.5, 0.75, 1.0]),
                               [1.0, np.e, 1.0, 1 / np.e, 1.0], atol=1e-12)


@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_quasi_sinusoid_data_has_one_point_per_segment(n, seed):
    x, y = make_quasi_sinusoid_1d(n, rng=seed, noise_std=0.0)
    np.testing.assert_array_equal(np.floor(x * n), np.arange(n))
    np.testing.assert_allclose(y, np.exp(np.sin(2 * np.pi * x)))


def test_quasi_sinusoid_noise_level():
    x, y = make_quasi_sinusoid_1d(20000, rng=4)
    assert abs((y - np.exp(np.sin(2 * np.pi * x))).std() - 0.3) < 0.01


def test_moons_shapes_labels_and_geometry():
    x, y = make_moons(rng=0, shuffle=False)
    assert x.shape == (100, 2) and x.dtype == np.float64
    assert y.shape == (100,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, [0] * 50 + [1] * 50)
    upper, lower = x[:50], x[50:]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()


def test_moons_shuffle_permutes_the_points():
    clean, labels = make_moons(101, rng=0, shuffle=False)
    mixed, mixed_labels = make_moons(101, rng=0)
    assert np.bincount(labels).tolist() == [50, 51]
    assert not np.array_equal(mixed_labels, labels)
    a = np.column_stack([clean, labels])
    b = np.column_stack([mixed, mixed_labels])
    np.testing.assert_array_equal(a[np.lexsort(a.T)], b[np.lexsort(b.T)])


def test_moons_noise_level():
    clean, _ = make_moons(2000, rng=0, shuffle=False)
    noisy, _ = make_moons(2000, rng=0, noise=0.1, shuffle=False)
    assert abs((noisy - clean).std() - 0.1) < 0.005


@given(n_classes=st.integers(2, 6), extra=st.integers(0, 200), seed=st.integers(0, 1000))
@settings(max_examples=50, deadline=None)
def test_spirals_class_sizes(n_classes, extra, seed):
    n = n_classes + extra
    x, y = make_spirals(n, rng=seed, n_classes=n_classes, noise=0.05)
    assert x.shape == (n, 2) and y.shape == (n,)
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.sum() == n
    assert counts.max() - counts.min() <= 1 and counts.min() >= 1


def test_spirals_lie_on_their_arms():
    x, y = make_spirals(90, rng=0, n_classes=3, turns=1.5, shuffle=False)
    for k in range(3):
        arm = x[y == k]
        r = np.hypot(*arm.T)
        np.testing.assert_allclose(r, np.linspace(0.0, 1.0, 30), atol=1e-12)
        theta = 2 * np.pi * (1.5 * r + k / 3)
        on_arm = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
        np.testing.assert_allclose(arm, on_arm, atol=1e-12)


@pytest.mark.parametrize("call, error", [
    (lambda: make_linear_1d(0, rng=0), ValueError),
    (lambda: make_linear_1d(3.5, rng=0), TypeError),
    (lambda: make_linear_1d(rng=0, noise_std=-0.1), ValueError),
    (lambda: make_linear_1d(rng=0, x_range=(2.0, 1.0)), ValueError),
    (lambda: make_linear_1d(rng=0, x_range=3.0), TypeError),
    (lambda: make_gabor_1d(rng=0, noise_std=float("nan")), ValueError),
    (lambda: make_quasi_sinusoid_1d(-1, rng=0), ValueError),
    (lambda: make_moons(1, rng=0), ValueError),
    (lambda: make_moons(rng=0, noise=-1.0), ValueError),
    (lambda: make_spirals(rng=0, n_classes=1), ValueError),
    (lambda: make_spirals(3, rng=0, n_classes=4), ValueError),
])
def test_bad_arguments(call, error):
    with pytest.raises(error, match="make_"):
        call()
