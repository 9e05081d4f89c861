"""Kinks and extreme values, on purpose (the generic op tests stay away from them).

Documented choices (docs/conventions.md, "Kinks"; docs/tensors.md): ReLU'(0) = 0, |x|'(0) = 0, leaky ReLU'(0) = slope;
max/min (reductions and the elementwise maximum/minimum) split the gradient evenly among tied
winners; clip passes the gradient on its boundaries (PyTorch's clamp). Softmax, log-softmax and
logsumexp stay finite for logits of +-1e4 (eq. 5.24); sigmoid and softplus for +-1000.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_udl as tg
from tinygrad_udl import Tensor, Value


def grad_of(f, x, dtype=np.float64):
    t = Tensor(np.array(x, dtype=dtype), requires_grad=True)
    f(t).sum().backward()
    return t.grad.data


def value_grad(f, *xs):
    vs = [Value(x) for x in xs]
    f(*vs).backward()
    return [v.grad for v in vs]


@pytest.mark.parametrize("name, f, expected", [
    ("relu", lambda t: t.relu(), [0.0, 1.0, 0.0]),
    ("abs", lambda t: t.abs(), [0.0, 1.0, -1.0]),
    ("leaky_relu", lambda t: t.leaky_relu(0.1), [0.1, 1.0, 0.1]),
])
def test_kinks_at_zero(name, f, expected):
    np.testing.assert_allclose(grad_of(f, [0.0, 2.0, -2.0]), expected)
    assert value_grad(f, 0.0) == [expected[0]]          # the scalar engine makes the same choice


def test_max_ties_split_the_gradient_evenly():
    np.testing.assert_allclose(grad_of(lambda t: t.max(), [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
    np.testing.assert_allclose(grad_of(lambda t: t.max(), [[3.0, 3.0], [1.0, 3.0]]), [[1 / 3, 1 / 3], [0.0, 1 / 3]])
    np.testing.assert_allclose(grad_of(lambda t: t.min(axis=0), [[1.0, 2.0], [1.0, 0.0]]), [[0.5, 0.0], [0.5, 1.0]])


@settings(max_examples=30)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.integers(0, 2).map(float)),
       data=st.data())
def test_max_and_min_ties_split_evenly_over_any_axes(x, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    for name in ("max", "min"):
        hit = x == getattr(np, name)(x, axis=axis, keepdims=True)   # the tied winners of each slice
        expected = hit / hit.sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(grad_of(lambda t: getattr(t, name)(axis=axis), x), expected)


def test_elementwise_maximum_minimum_ties_give_half_to_each():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 0.0], requires_grad=True)
    (tg.maximum(a, b) + 10 * tg.minimum(a, b)).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5 + 5.0, 1.0])
    np.testing.assert_allclose(b.grad.data, [0.5 + 5.0, 10.0])
    assert value_grad(lambda u, v: u.maximum(v), 1.0, 1.0) == [0.5, 0.5]
    assert value_grad(lambda u, v: u.minimum(v), 1.0, 1.0) == [0.5, 0.5]


def test_maximum_with_itself_has_gradient_one():
    np.testing.assert_allclose(grad_of(lambda t: t.maximum(t), [0.0, 1.0]), [1.0, 1.0])


def test_clip_passes_the_gradient_on_its_boundaries():
    np.testing.assert_allclose(grad_of(lambda t: t.clip(-1.0, 1.0), [-1.0, 1.0, 0.0, 2.0, -3.0]), [1, 1, 1, 0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_is_finite_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    x = Tensor(logits, requires_grad=True)
    np.testing.assert_allclose(x.softmax(axis=1).data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(x.log_softmax(axis=1).data, [[0, -2e4, -1e4], np.log([1 / 3] * 3)], rtol=1e-6)
    np.testing.assert_allclose(x.logsumexp(axis=1).data, [1e4, -1e4 + np.log(3)], rtol=1e-6)
    x.log_softmax(axis=1).sum().backward()            # d/dx sum log_softmax = 1 - n softmax
    np.testing.assert_allclose(x.grad.data, [[-2, 1, 1], [0, 0, 0]], atol=1e-6)
    assert x.grad.dtype == dtype


def test_softmax_family_of_integers_and_of_all_minus_infinity_rows():
    ints = Tensor(np.array([[1, 2, 3]]))
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(ints.softmax(axis=1).data, [expected], rtol=1e-12)
    np.testing.assert_allclose(ints.logsumexp(axis=1).data, [np.log(np.exp([1.0, 2.0, 3.0]).sum())], rtol=1e-12)
    masked = Tensor(np.array([[-np.inf, -np.inf], [0.0, -np.inf]], np.float32))   # a fully masked row: nan, as PyTorch
    with np.errstate(invalid="ignore"):   # numpy's own warning for the 0/0 of that row
        out = masked.softmax(axis=1).data
    assert np.isnan(out[0]).all() and np.array_equal(out[1], [1.0, 0.0])


def test_logsumexp_with_minus_infinity():
    assert Tensor([-np.inf, 0.0]).logsumexp().item() == 0.0


def test_saturating_functions_stay_finite():
    x = Tensor([-1000.0, 1000.0], requires_grad=True)
    np.testing.assert_array_equal(x.sigmoid().data, [0.0, 1.0])
    np.testing.assert_array_equal(x.softplus().data, [0.0, 1000.0])
    np.testing.assert_array_equal(x.tanh().data, [-1.0, 1.0])
    (x.sigmoid() + x.softplus() + x.tanh()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).softplus().data == 1000.0


def test_overflow_follows_ieee():
    with np.errstate(over="ignore"):
        assert Tensor([1000.0], dtype="float64").exp().item() == np.inf


def test_relu_maximum_minimum_follow_numpy_on_infinities_nan_and_signed_zero():
    x = np.array([-np.inf, np.inf, np.nan, -1.0, 0.0])
    out = Tensor(x).relu().data
    np.testing.assert_array_equal(out, np.maximum(x, 0))            # relu(-inf) = 0, not nan
    assert not np.signbit(out[3])                                   # relu(-1) = +0.0, not -0.0
    for name in ("maximum", "minimum"):
        np.testing.assert_array_equal(getattr(Tensor(x), name)(1.0).data, getattr(np, name)(x, 1.0))
    assert Value(-np.inf).relu().data == 0.0 and np.isnan(Value(np.nan).relu().data)
    assert np.isnan(Value(np.nan).maximum(1.0).data) and np.isnan(Value(1.0).minimum(np.nan).data)
