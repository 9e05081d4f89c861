"""Initialisation (section 7.5): fans, variances of every rule, in-place fills, reproducibility,
and the variance propagation of eqs. 7.26-7.30 that motivates He initialisation."""
import math

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.nn import init

OUT, IN = 300, 500  # 150,000 samples: the sample variance is within ~1% (3 standard errors)


def weight(shape=(OUT, IN), dtype=np.float64):
    return nn.Parameter(np.zeros(shape, dtype))


def assert_variance(t, expected, tol=0.02):
    assert abs(t.data.mean()) < 4 * math.sqrt(expected / t.size)
    assert abs(t.data.var() / expected - 1) < tol


@pytest.mark.parametrize("shape, fans", [
    ((7, 3), (3, 7)),
    ((16, 4, 5), (20, 80)),        # conv1d (C_out, C_in, K): fan-in C_in·K
    ((8, 3, 3, 3), (27, 72)),      # conv2d: C_in·K²
])
def test_fans_from_the_shape(shape, fans):
    assert init.fan_in_and_fan_out(shape) == fans


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.he_normal_(nn.Parameter(np.zeros(5)))


@pytest.mark.parametrize("fill, variance", [
    (lambda t: init.he_normal_(t, rng=0), 2 / IN),                       # eq. 7.30
    (lambda t: init.he_normal_(t, mode="fan_out", rng=0), 2 / OUT),      # eq. 7.31
    (lambda t: init.he_uniform_(t, rng=0), 2 / IN),
    (lambda t: init.he_compromise_(t, rng=0), 4 / (IN + OUT)),           # eq. 7.32 (final print)
    (lambda t: init.he_compromise_(t, distribution="uniform", rng=0), 4 / (IN + OUT)),
    (lambda t: init.glorot_normal_(t, rng=0), 2 / (IN + OUT)),
    (lambda t: init.xavier_uniform_(t, rng=0), 2 / (IN + OUT)),
    (lambda t: init.lecun_normal_(t, rng=0), 1 / IN),
    (lambda t: init.lecun_uniform_(t, rng=0), 1 / IN),
    (lambda t: init.he_normal_(t, gain=init.calculate_gain("leaky_relu", 0.1), rng=0), 2 / (1.01 * IN)),
    (lambda t: init.normal_(t, 0.0, math.sqrt(0.02), rng=0), 0.02),      # fig. 7.7's σ²_Ω = 0.02
])
def test_rule_variances(fill, variance):
    assert_variance(fill(weight()), variance)


def test_uniform_rules_respect_their_bounds():
    t = init.he_uniform_(weight(), rng=1)
    bound = math.sqrt(6 / IN)  # fig. 7.8's kaiming_uniform
    assert np.abs(t.data).max() <= bound and np.abs(t.data).max() > 0.999 * bound
    g = init.glorot_uniform_(weight(), rng=1)
    assert np.abs(g.data).max() <= math.sqrt(6 / (IN + OUT))
    u = init.uniform_(weight((10, 10)), -0.1, 0.3, rng=1)
    assert u.data.min() >= -0.1 and u.data.max() < 0.3


def test_conv_weights_use_the_receptive_field():
    t = init.he_normal_(weight((64, 16, 5, 5)), rng=2)
    assert_variance(t, 2 / (16 * 25), tol=0.03)


def test_fills_are_in_place_outside_the_graph_and_return_the_tensor():
    t = weight((4, 3), np.float32)
    array = t.data
    assert init.he_normal_(t, rng=0) is t
    assert t.data is array and t.dtype == np.float32 and t.is_leaf and t.requires_grad and t.grad is None
    init.zeros_(t)
    assert not t.data.any()
    np.testing.assert_array_equal(init.constant_(t, 0.5).data, 0.5)
    np.testing.assert_array_equal(init.ones_(t).data, 1.0)


def test_rng_makes_draws_reproducible():
    a = init.he_normal_(weight((5, 5)), rng=np.random.default_rng(3)).data.copy()
    b = init.he_normal_(weight((5, 5)), rng=3).data.copy()
    np.testing.assert_array_equal(a, b)
    tg.manual_seed(11)
    c = init.glorot_normal_(weight((5, 5))).data.copy()
    tg.manual_seed(11)
    np.testing.assert_array_equal(c, init.glorot_normal_(weight((5, 5))).data)


def test_bad_arguments():
    with pytest.raises(ValueError, match="fan_in"):
        init.he_normal_(weight(), mode="fan_avg")
    with pytest.raises(TypeError, match="floating-point"):
        init.zeros_(tg.Tensor(np.zeros(3, np.int64)))
    with pytest.raises(TypeError, match="rng"):
        init.he_normal_(weight(), rng="seed")
    with pytest.raises(ValueError, match="slope"):
        init.calculate_gain("leaky_relu")
    assert init.calculate_gain("relu") == math.sqrt(2) and init.calculate_gain("tanh") == 5 / 3


@pytest.mark.parametrize("variance, factor", [(0.02, 1.0), (0.01, 0.5), (0.04, 2.0)])
def test_variance_propagation_through_relu_layers(variance, factor):
    # eq. 7.29: the pre-activation variance changes by ½·D_h·σ²_Ω per layer (fig. 7.7's setup, D_h = 100)
    rng = np.random.default_rng(0)
    d, layers = 100, 8
    h = rng.standard_normal((2000, d))
    f = h
    ratios = []
    for _ in range(layers):
        lin = nn.Linear(d, d, dtype=np.float64)
        init.normal_(lin.weight, 0.0, math.sqrt(variance), rng=rng)
        before = np.mean(f ** 2)
        f = lin(np.maximum(f, 0) if ratios else f).data
        ratios.append(np.mean(f ** 2) / before)
    # the first layer sees unrectified inputs (factor D σ²); every later one sees ReLU outputs (½ D σ²)
    assert ratios[0] == pytest.approx(d * variance, rel=0.1)
    assert np.exp(np.mean(np.log(ratios[1:]))) == pytest.approx(factor, rel=0.1)
