"""Activations of chapter 3: values against independent formulas, gradients, kinks, modules."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.gradcheck import check_module, check_primitives, gradcheck
from tinygrad_udl.nn import functional as F

from nn_testing import check_grads

SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772

# name -> (function under test, independent numpy reference, kinks to stay away from)
SMOOTH = {
    "sigmoid": (F.sigmoid, special.expit, []),
    "tanh": (F.tanh, np.tanh, []),
    "softplus": (F.softplus, lambda z: np.logaddexp(0, z), []),
    "softplus_beta2": (lambda x: F.softplus(x, beta=2.0), lambda z: np.logaddexp(0, 2 * z) / 2, []),
    "gelu": (F.gelu, lambda z: z * stats.norm.cdf(z), []),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3))), []),
    "silu": (F.silu, lambda z: z * special.expit(z), []),
    "swish_0.4": (lambda x: F.swish(x, 0.4), lambda z: z / (1 + np.exp(-0.4 * z)), []),
    "relu": (F.relu, lambda z: np.where(z < 0, 0, z), [0.0]),
    "leaky_0.1": (lambda x: F.leaky_relu(x, 0.1), lambda z: np.where(z < 0, 0.1 * z, z), [0.0]),
    "elu_0.5": (lambda x: F.elu(x, 0.5), lambda z: np.where(z > 0, z, 0.5 * (np.exp(z) - 1)), [0.0]),
    "selu": (F.selu, lambda z: SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * (np.exp(z) - 1)), [0.0]),
    # eq. 3.13's piecewise HardSwish
    "hardswish": (F.hardswish, lambda z: np.select([z < -3, z <= 3], [0 * z, z * (z + 3) / 6], z), [-3.0, 3.0]),
}

values = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                    elements=st.floats(-6, 6, allow_nan=False))


def away_from(x, kinks, gap=1e-3):
    x = np.array(x)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + gap * np.where(x[near] >= k, 2, -2)
    return x


@pytest.mark.parametrize("name", sorted(SMOOTH))
@settings(max_examples=15, deadline=None)
@given(x=values)
def test_activation_values_and_gradients(name, x):
    fn, reference, kinks = SMOOTH[name]
    x = away_from(x, kinks)
    np.testing.assert_allclose(fn(tg.Tensor(x)).data, reference(x), rtol=1e-10, atol=1e-12)
    check_grads(fn, x)


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_activations_keep_float32(name):
    assert SMOOTH[name][0](tg.Tensor(np.linspace(-4, 4, 9, dtype=np.float32))).dtype == np.float32


def test_derivatives_at_the_kinks_follow_the_conventions():
    x = tg.Tensor(np.zeros(3), requires_grad=True)
    for fn, slope in [(F.relu, 0.0), (lambda t: F.leaky_relu(t, 0.25), 0.25)]:
        x.grad = None
        fn(x).sum().backward()
        np.testing.assert_array_equal(x.grad.data, slope)  # ReLU'(0) = 0, leaky'(0) = slope (PyTorch)


def test_heaviside_and_rect_follow_eq_3_15_with_zero_gradient():
    z = np.array([-1.0, -1e-9, 0.0, 0.5, 1.0, 1.0 + 1e-9, 3.0])
    np.testing.assert_array_equal(F.heaviside(z).data, [0, 0, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(F.rect(z).data, [0, 0, 1, 1, 1, 0, 0])
    x = tg.Tensor(z, requires_grad=True)
    (F.heaviside(x) + F.rect(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0)


def test_softplus_and_sigmoid_are_stable_at_extreme_inputs():
    z = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    np.testing.assert_allclose(F.softplus(z).data, np.logaddexp(0, z), rtol=1e-15)
    np.testing.assert_array_equal(F.sigmoid(z).data, special.expit(z))
    x = tg.Tensor(z, requires_grad=True)
    F.softplus(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, special.expit(z))


def test_leaky_relu_needs_its_slope():
    with pytest.raises(TypeError):
        nn.LeakyReLU()
    with pytest.raises(TypeError):
        F.leaky_relu(tg.Tensor([1.0]))


@settings(max_examples=15, deadline=None)
@given(hnp.arrays(np.float64, (2, 3, 4), elements=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3)),
       hnp.arrays(np.float64, (3,), elements=st.floats(-1, 1)))
def test_prelu_per_channel_slopes(x, slopes):
    expected = np.where(x > 0, x, slopes[None, :, None] * x)
    np.testing.assert_allclose(F.prelu(tg.Tensor(x), tg.Tensor(slopes)).data, expected, rtol=1e-12)
    check_grads(F.prelu, x, slopes)


def test_prelu_module_learns_its_slope():
    act = nn.PReLU()
    assert act.weight.data.tolist() == [0.25] and act.num_parameters() == 1
    x = tg.Tensor(np.array([-2.0, 3.0], np.float32))
    act(x).sum().backward()
    np.testing.assert_allclose(act.weight.grad.data, [-2.0])  # d(αz)/dα = z on the negative side


def test_swish_module_learns_beta():
    act = nn.Swish(beta=1.4, dtype=np.float64)
    x = np.array([-1.5, 0.3, 2.0])
    np.testing.assert_allclose(act(x).data, x / (1 + np.exp(-1.4 * x)), rtol=1e-12)
    act(x).sum().backward()
    # d/dβ z·sig(βz) = z² sig(βz)(1 − sig(βz))
    s = special.expit(1.4 * x)
    np.testing.assert_allclose(act.beta.grad.data, np.sum(x * x * s * (1 - s)), rtol=1e-12)
    assert nn.Swish(learnable=False).num_parameters() == 0


def test_crelu_doubles_the_feature_axis():
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    np.testing.assert_array_equal(F.crelu(x).data, [[1, 0, 0, 2], [0, 4, 3, 0]])
    assert nn.CReLU(axis=0)(x).shape == (4, 2)


@pytest.mark.parametrize("module, fn", [
    (nn.ReLU(), F.relu), (nn.Sigmoid(), F.sigmoid), (nn.Tanh(), F.tanh), (nn.SiLU(), F.silu),
    (nn.GELU(), F.gelu), (nn.GELU(approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
    (nn.ELU(alpha=0.5), lambda x: F.elu(x, 0.5)), (nn.SELU(), F.selu), (nn.HardSwish(), F.hardswish),
    (nn.Softplus(beta=2.0), lambda x: F.softplus(x, 2.0)), (nn.LeakyReLU(0.1), lambda x: F.leaky_relu(x, 0.1)),
    (nn.Heaviside(), F.heaviside), (nn.Rect(), F.rect), (nn.Sin(), np.sin),
    (nn.Softmax(), lambda x: F.softmax(x, -1)), (nn.LogSoftmax(axis=0), lambda x: F.log_softmax(x, 0)),
])
def test_modules_apply_their_functions(module, fn):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(module(tg.Tensor(x)).data, np.asarray(fn(tg.Tensor(x))), rtol=1e-12)


def test_module_reprs_show_settings():
    assert repr(nn.LeakyReLU(0.25)) == "LeakyReLU(negative_slope=0.25)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.ReLU()) == "ReLU()"
    with pytest.raises(TypeError, match="unknown argument"):
        nn.ELU(beta=1)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(tg.Tensor([1.0]), approximate="fast")


def test_gelu_is_close_to_its_tanh_approximation():
    z = np.linspace(-5, 5, 101)
    assert np.max(np.abs(F.gelu(z).data - F.gelu(z, approximate="tanh").data)) < 1e-3
    assert math.isclose(F.gelu(np.array(1.0)).item(), 0.8413447460685429, rel_tol=1e-12)  # Φ(1)


# ---- the library's gradient checker (first and second order, float64) -----------------------------------

@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_gradcheck_first_and_second_order(name):
    fn, _, kinks = SMOOTH[name]
    x = away_from(np.random.default_rng(1).uniform(-4, 4, (3, 4)), kinks, gap=0.05)
    report = gradcheck(fn, [tg.Tensor(x, requires_grad=True)], order=2)
    assert report.ok, str(report)


@pytest.mark.parametrize("module", [nn.PReLU(4), nn.Swish(beta=0.4)])
def test_check_module_on_learnable_activations(module):
    x = np.random.default_rng(2).uniform(0.1, 2, (3, 4, 2)) * np.random.default_rng(3).choice([-1, 1], (3, 4, 2))
    assert check_module(module, [x]).ok


def test_primitives_of_this_module_pass_the_op_sweep():
    results = check_primitives(["heaviside", "rect"], order=2)
    assert [r.status for r in results] == ["ok", "ok"]
