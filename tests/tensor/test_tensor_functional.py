"""The functional transforms (functional.py) against closed forms and finite differences.

grad(outputs, inputs, grad_outputs, create_graph) in PyTorch's form; grad(f) / value_and_grad(f);
jacobian (numerator layout, out x in); hessian; hvp; jvp; vjp; and nesting -- grad(grad(f)) on Values
and Tensors, and every transform differentiated by an outer one.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_udl as tg
from tinygrad_udl import Tensor, Value
from support.finite_differences import directional_derivative, numerical_grad

RNG = np.random.default_rng(11)
A = RNG.normal(size=(3, 3))
B = RNG.normal(size=(2, 3))


def f_vec(x):
    """A smooth map R^3 -> R^2 (tensor and numpy forms below): B tanh(x) * sum(x^2)."""
    return (Tensor(B) @ x.tanh()) * (x * x).sum()


def f_vec_np(x):
    return (B @ np.tanh(x)) * np.sum(x * x)


def f_scalar(x):
    return (x.sin() * x).sum() + (x @ (Tensor(A) @ x)) * 0.1


def f_scalar_np(x):
    return np.sum(np.sin(x) * x) + 0.1 * x @ A @ x


def fd_jacobian(f, x):
    """Row i = gradient of output i: numerator layout, like jacobian()."""
    out = f(x)
    return np.stack([numerical_grad(lambda a, i=i: f(a).ravel()[i], x) for i in range(out.size)]).reshape(
        out.shape + x.shape)


X = np.array([0.3, -0.7, 1.1])


# ---- grad in PyTorch's form -----------------------------------------------------------------------


def test_grad_of_outputs_with_respect_to_inputs():
    x = Tensor(X, requires_grad=True)
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    out = (Tensor(B) @ x) * w                                   # shape (2,)
    v = np.array([0.5, 1.5])
    gx, gw = tg.grad(out, [x, w], grad_outputs=v)
    np.testing.assert_allclose(gx.data, B.T @ (v * w.data))
    np.testing.assert_allclose(gw.data, v * (B @ X))
    assert x.grad is None and w.grad is None


def test_grad_with_several_outputs_sums_them():
    x = Tensor(X, requires_grad=True)
    (g,) = tg.grad([(x * x).sum(), x.sum()], [x])
    np.testing.assert_allclose(g.data, 2 * X + 1)


def test_grad_create_graph_then_grad_again():
    x = Tensor(X, requires_grad=True)
    (g,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    (h,) = tg.grad(g, x, grad_outputs=np.ones(3))
    np.testing.assert_allclose(h.data, 6 * X)


def test_grad_allow_unused_gives_none():
    x, y = Tensor(X, requires_grad=True), Tensor(X, requires_grad=True)
    assert tg.grad((x * 2).sum(), [x, y], allow_unused=True)[1] is None


# ---- grad(f), value_and_grad ----------------------------------------------------------------------


def test_grad_of_a_function_matches_finite_differences():
    g = tg.grad(f_scalar)(X)
    assert isinstance(g, Tensor) and not g.requires_grad
    np.testing.assert_allclose(g.data, numerical_grad(f_scalar_np, X), rtol=1e-7)


def test_value_and_grad():
    value, g = tg.value_and_grad(f_scalar)(X)
    assert value.item() == pytest.approx(f_scalar_np(X))
    np.testing.assert_allclose(g.data, numerical_grad(f_scalar_np, X), rtol=1e-7)


def test_grad_argnums():
    gx, gy = tg.grad(lambda x, y: (x * y.exp()).sum(), argnums=(0, 1))(X, -X)
    np.testing.assert_allclose(gx.data, np.exp(-X))
    np.testing.assert_allclose(gy.data, X * np.exp(-X))
    gy_only = tg.grad(lambda x, y: (x * y.exp()).sum(), argnums=1)(X, -X)
    np.testing.assert_allclose(gy_only.data, X * np.exp(-X))


def test_grad_of_a_scalar_function_of_floats_uses_values():
    assert tg.grad(lambda x: x * x * x)(2.0) == pytest.approx(12.0)
    value, (gx, gy) = tg.value_and_grad(lambda x, y: x * y.sin(), argnums=(0, 1))(2.0, 0.5)
    assert (value, gx, gy) == pytest.approx((2 * math.sin(0.5), math.sin(0.5), 2 * math.cos(0.5)))


def test_grad_keeps_float32():
    assert tg.grad(lambda x: (x * x).sum())(Tensor([1.0, 2.0])).dtype == np.float32


def test_grad_of_a_constant_function_is_zero():
    np.testing.assert_array_equal(tg.grad(lambda x: x.sign().sum())(X).data, np.zeros(3))
    assert tg.grad(lambda x: Value(3.0))(1.0) == 0.0


# ---- nesting: higher derivatives ------------------------------------------------------------------


@settings(max_examples=20)
@given(x=st.floats(-2, 2))
def test_nested_grad_on_values(x):
    def f(v):
        return v.sin() * v * v                                   # f = x^2 sin x

    assert tg.grad(f)(x) == pytest.approx(2 * x * math.sin(x) + x * x * math.cos(x), abs=1e-12)
    assert tg.grad(tg.grad(f))(x) == pytest.approx(2 * math.sin(x) + 4 * x * math.cos(x) - x * x * math.sin(x),
                                                   abs=1e-12)
    assert tg.grad(tg.grad(tg.grad(f)))(x) == pytest.approx(
        6 * math.cos(x) - 6 * x * math.sin(x) - x * x * math.cos(x), abs=1e-12)


@settings(max_examples=20)
@given(x=st.floats(-2, 2))
def test_nested_grad_on_tensors(x):
    def f(t):
        return (t.tanh() * t.exp()).sum()

    t = np.array(x)
    d1 = tg.grad(f)(t).item()
    d2 = tg.grad(tg.grad(f))(t).item()
    assert d1 == pytest.approx(numerical_grad(lambda a: np.tanh(a) * np.exp(a), t), rel=1e-7, abs=1e-9)
    assert d2 == pytest.approx(numerical_grad(lambda a: tg.grad(f)(a).item(), t, eps=1e-5), rel=1e-6, abs=1e-8)


def test_grad_of_grad_through_value_and_grad_of_a_tensor_function():
    """grad(grad(f)) where the inner gradient is a one-element tensor."""
    d2 = tg.grad(tg.grad(lambda t: (t ** 4).sum()))(np.array([1.5]))
    np.testing.assert_allclose(d2.data, [12 * 1.5 ** 2])


# ---- jacobian, hessian, jvp, vjp, hvp -------------------------------------------------------------


def test_jacobian_is_numerator_layout_and_matches_finite_differences():
    J = tg.jacobian(f_vec)(X)
    assert J.shape == (2, 3)                                   # out x in
    np.testing.assert_allclose(J.data, fd_jacobian(f_vec_np, X), rtol=1e-6, atol=1e-9)


def test_jacobian_of_matrix_input_and_output_shapes():
    M = RNG.normal(size=(2, 3))
    J = tg.jacobian(lambda m: m.exp().sum(axis=0))(M)
    assert J.shape == (3, 2, 3)
    np.testing.assert_allclose(J.data, fd_jacobian(lambda m: np.exp(m).sum(axis=0), M), rtol=1e-6)


def test_jacobian_of_a_linear_map_is_its_matrix():
    np.testing.assert_allclose(tg.jacobian(lambda x: Tensor(B) @ x)(X).data, B)


@settings(max_examples=15)
@given(A=hnp.arrays(np.float64, st.integers(1, 4).map(lambda n: (n, n)), elements=st.floats(-3, 3)), data=st.data())
def test_hessian_of_a_quadratic_form_is_the_symmetric_part(A, data):
    x = data.draw(hnp.arrays(np.float64, A.shape[:1], elements=st.floats(-3, 3)))
    H = tg.hessian(lambda t: 0.5 * (t @ (Tensor(A) @ t)))(x)
    np.testing.assert_allclose(H.data, (A + A.T) / 2, rtol=1e-12, atol=1e-12)


def test_hessian_matches_finite_differences_of_the_gradient():
    H = tg.hessian(f_scalar)(X)
    np.testing.assert_allclose(H.data, H.data.T, atol=1e-12)
    np.testing.assert_allclose(H.data, fd_jacobian(lambda a: tg.grad(f_scalar)(a).data, X), rtol=1e-6, atol=1e-8)


def test_hvp_equals_hessian_times_v():
    v = np.array([1.0, -0.5, 2.0])
    value, hv = tg.hvp(f_scalar, X, v)
    assert value.item() == pytest.approx(f_scalar_np(X))
    np.testing.assert_allclose(hv.data, tg.hessian(f_scalar)(X).data @ v, rtol=1e-12)


def test_jvp_equals_jacobian_times_v():
    v = np.array([1.0, -0.5, 2.0])
    out, jv = tg.jvp(f_vec, X, v)
    np.testing.assert_allclose(out.data, f_vec_np(X))
    np.testing.assert_allclose(jv.data, tg.jacobian(f_vec)(X).data @ v, rtol=1e-12)
    np.testing.assert_allclose(jv.data, directional_derivative(f_vec_np, X, v), rtol=1e-7)


def test_vjp_equals_v_transpose_jacobian():
    v = np.array([0.7, -1.3])
    out, vj = tg.vjp(f_vec, X, v)
    np.testing.assert_allclose(out.data, f_vec_np(X))
    np.testing.assert_allclose(vj.data, v @ tg.jacobian(f_vec)(X).data, rtol=1e-12)


def test_transforms_of_constant_functions_are_zero():
    const = lambda x: x.sign()   # noqa: E731  (a constant: sign carries no gradient)
    np.testing.assert_array_equal(tg.jacobian(const)(X).data, np.zeros((3, 3)))
    np.testing.assert_array_equal(tg.vjp(const, X, np.ones(3))[1].data, np.zeros(3))
    np.testing.assert_array_equal(tg.jvp(const, X, np.ones(3))[1].data, np.zeros(3))
    np.testing.assert_array_equal(tg.hvp(lambda x: x.sign().sum(), X, np.ones(3))[1].data, np.zeros(3))
    np.testing.assert_array_equal(tg.hvp(lambda x: x.sum(), X, np.ones(3))[1].data, np.zeros(3))


@pytest.mark.parametrize("name, inner, expected", [
    # d/dx of sum(inner(x)) where each inner transform is taken of y -> y^3 (elementwise):
    ("vjp", lambda x: tg.vjp(lambda y: y ** 3, x, np.ones(3))[1], lambda x: 6 * x),       # sum 3x^2
    ("jvp", lambda x: tg.jvp(lambda y: y ** 3, x, np.ones(3))[1], lambda x: 6 * x),       # sum 3x^2
    ("hvp", lambda x: tg.hvp(lambda y: (y ** 3).sum(), x, np.ones(3))[1], lambda x: 6 * np.ones(3)),  # sum 6x
    ("jacobian", lambda x: tg.jacobian(lambda y: y ** 3)(x), lambda x: 6 * x),            # sum diag 3x^2
    ("grad", lambda x: tg.grad(lambda y: (y ** 3).sum())(x), lambda x: 6 * x),
])
def test_every_transform_can_be_differentiated_by_an_outer_one(name, inner, expected):
    g = tg.grad(lambda x: inner(x).sum())(X)
    np.testing.assert_allclose(g.data, expected(X), rtol=1e-12)


def test_transforms_do_not_leave_gradients_behind():
    x = Tensor(X, requires_grad=True)
    tg.hvp(lambda y: (y ** 3).sum(), x, np.ones(3))
    tg.jacobian(lambda y: y ** 2)(x)
    assert x.grad is None
