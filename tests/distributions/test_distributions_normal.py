"""Normal: log_prob and entropy against scipy.stats.norm, moments of samples, seeded draws, and
gradients of rsample and log_prob against central differences."""
import numpy as np
import pytest
from distributions_testing import assert_grads_match, weights
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import tinygrad_udl as tg
from tinygrad_udl.distributions import Normal

locs = st.floats(-5, 5)
scales = st.floats(0.05, 5)
values = st.floats(-10, 10)


@given(st.lists(locs, min_size=3, max_size=3), scales, st.lists(values, min_size=2, max_size=2))
def test_log_prob_matches_scipy_with_broadcasting(loc, scale, value):
    d = Normal(np.array(loc), scale)
    y = np.array(value)[:, None]  # (2, 1) against the batch (3,)
    got = d.log_prob(y)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got.data, stats.norm(np.array(loc), scale).logpdf(y), rtol=1e-10, atol=1e-10)


@given(locs, scales)
def test_entropy_matches_scipy(loc, scale):
    np.testing.assert_allclose(Normal(np.float64(loc), np.float64(scale)).entropy().item(),
                               stats.norm(loc, scale).entropy(), rtol=1e-12)


def test_moments_and_shapes():
    d = Normal(np.array([-1.0, 2.0]), np.array([0.5, 3.0]))
    assert (d.batch_shape, d.event_shape) == ((2,), ())
    np.testing.assert_array_equal(d.mean.data, [-1.0, 2.0])
    np.testing.assert_array_equal(d.mode.data, [-1.0, 2.0])
    np.testing.assert_array_equal(d.variance.data, [0.25, 9.0])
    np.testing.assert_array_equal(d.stddev.data, [0.5, 3.0])
    x = d.sample((40_000,), rng=0)
    assert x.shape == (40_000, 2) and not x.requires_grad
    # 5 standard errors: the mean's is σ/√n, the variance's about σ²√(2/n).
    np.testing.assert_allclose(x.data.mean(0), [-1.0, 2.0], atol=5 * 3.0 / 200)
    np.testing.assert_allclose(x.data.var(0), [0.25, 9.0], rtol=5 * np.sqrt(2 / 40_000))


def test_samples_are_reproducible_with_a_seed_generator_or_manual_seed():
    d = Normal(0.0, 1.0)
    np.testing.assert_array_equal(d.sample(5, rng=7).data, d.sample(5, rng=7).data)
    rng = np.random.default_rng(3)
    first, second = d.sample(3, rng=rng), d.sample(3, rng=rng)
    assert not np.array_equal(first.data, second.data)  # a Generator's stream is consumed
    np.testing.assert_array_equal(np.concatenate([first.data, second.data]),
                                  np.random.default_rng(3).standard_normal(6).astype(d.dtype))
    tg.manual_seed(11)
    a = d.sample((2, 2))
    tg.manual_seed(11)
    np.testing.assert_array_equal(a.data, d.sample((2, 2)).data)


def test_sample_and_rsample_shapes_and_gradients():
    loc = tg.Tensor(np.zeros((2, 3)), requires_grad=True)
    d = Normal(loc, 1.0)
    assert d.sample().shape == (2, 3) and d.sample(4).shape == (4, 2, 3) and d.sample((4, 5)).shape == (4, 5, 2, 3)
    assert not d.sample(rng=0).requires_grad
    z = d.rsample((4,), rng=0)
    assert z.requires_grad
    np.testing.assert_array_equal(z.data, d.sample((4,), rng=0).data)  # the same draw, with and without a graph


def test_rsample_gradients_match_finite_differences_for_fixed_noise():
    w = weights((5, 3))

    def f(loc, scale):  # a nonlinear function of a reparameterised draw; the seed fixes ε
        return ((Normal(loc, scale).rsample((5,), rng=4).sin() * w).sum())

    assert_grads_match(f, np.array([0.3, -1.0, 2.0]), np.array([0.5, 1.5, 0.2]))


def test_log_prob_gradients_match_finite_differences():
    y = np.array([[0.1, -2.0, 3.0], [1.0, 0.0, -0.5]])

    def f(loc, scale, value):
        return (Normal(loc, scale).log_prob(value) * weights((2, 3))).sum()

    assert_grads_match(f, np.array([0.3, -1.0, 2.0]), np.array([0.5, 1.5, 0.7]), y)


def test_entropy_gradient_matches_finite_differences():
    assert_grads_match(lambda scale: (Normal(0.0, scale).entropy() * weights(3)).sum(), np.array([0.5, 1.5, 0.7]))


def test_dtypes_follow_the_parameters():
    assert Normal(0.0, 1.0).dtype == tg.get_default_dtype()
    d = Normal(tg.Tensor([0.0, 1.0]), 2.0)  # float32 Tensor: the number takes its dtype
    assert d.log_prob(0.5).dtype == np.float32 and d.sample(rng=0).dtype == np.float32
    assert Normal(np.zeros(2), 1).log_prob(np.zeros(2)).dtype == np.float64


@pytest.mark.parametrize("scale", [0.0, -1.0, np.nan])
def test_scale_must_be_positive(scale):
    with pytest.raises(ValueError, match="Normal: scale must be > 0"):
        Normal(0.0, np.array([1.0, scale]))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="Normal: loc contains NaN"):
        Normal(np.nan, 1.0)
    with pytest.raises(ValueError, match=r"Normal: shapes do not broadcast together: loc \(2,\), scale \(3,\)"):
        Normal(np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match=r"Normal.log_prob: shapes do not broadcast.*value \(4,\), batch_shape \(2,\)"):
        Normal(np.zeros(2), 1.0).log_prob(np.zeros(4))
    with pytest.raises(ValueError, match="Normal.log_prob: value contains NaN"):
        Normal(0.0, 1.0).log_prob(np.nan)
    with pytest.raises(TypeError, match="Normal: scale must be a number"):
        Normal(0.0, "one")
    with pytest.raises(ValueError, match="sample_shape must be >= 0"):
        Normal(0.0, 1.0).sample((-1,))
    with pytest.raises(TypeError, match="sample_shape must be a tuple"):
        Normal(0.0, 1.0).sample(2.5)
    with pytest.raises(TypeError, match="Normal.sample: rng must be"):
        Normal(0.0, 1.0).sample(rng="seed")
