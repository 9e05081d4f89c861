"""The checks must be able to fail (HIPS autograd tests its checker the same way).

- the finite-difference oracle gets known derivatives right and tells a gradient wrong by 0.1 % apart;
- every primitive of rules.py, with its VJP made 0.1 % wrong (monkeypatched on `vjps`), is caught by
  the check the generic op tests use;
- a VJP that is right in value but drops a dependency in create_graph mode (it uses `.data`, a
  classic bug) is caught by the second-order check.
"""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl.autograd import rules as R
from tinygrad_udl.autograd.backends import ArrayMath
from support.finite_differences import directional_derivative, numerical_grad

from .checks import check_second_order, check_vjp
from .opinfo import BY_NAME

RNG = np.random.default_rng(7)


def test_numerical_grad_of_known_functions():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    np.testing.assert_allclose(numerical_grad(lambda a: np.sum(a ** 3), x), 3 * x ** 2, rtol=1e-8)
    np.testing.assert_allclose(numerical_grad(lambda a: np.sin(a).prod(), x),
                               np.cos(x) * np.sin(x).prod() / np.sin(x), rtol=1e-8)
    assert numerical_grad(lambda a: a * 2.0, np.float64(1.5)) == pytest.approx(2.0)


def test_numerical_grad_does_not_change_its_argument():
    x = np.array([1.0, 2.0])
    numerical_grad(lambda a: np.sum(a * a), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_grad_tells_a_gradient_wrong_by_a_tenth_of_a_percent():
    x = np.linspace(-2, 2, 7)
    fd = numerical_grad(lambda a: np.sum(np.exp(a)), x)
    np.testing.assert_allclose(fd, np.exp(x), rtol=1e-6)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(fd, 1.001 * np.exp(x), rtol=1e-6)


def test_directional_derivative_of_a_linear_map():
    A = RNG.normal(size=(3, 4))
    x, v = RNG.normal(size=4), RNG.normal(size=4)
    np.testing.assert_allclose(directional_derivative(lambda a: A @ a, x, v), A @ v, rtol=1e-8)


def _arr(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


# One example per primitive: (op in the registry, its float64 inputs, its params). Inputs are inside
# the domain and away from kinks, and every gradient is nonzero, so a 0.1 % error must show.
EXAMPLES = {
    "add": ("add", [_arr(2, 3), _arr(3)], {}),
    "sub": ("sub", [_arr(2, 3), _arr(3)], {}),
    "mul": ("mul", [_arr(2, 3), _arr(2, 1)], {}),
    "div": ("div", [_arr(2, 3), _arr(3, lo=0.5)], {}),
    "neg": ("neg", [_arr(4)], {}),
    "pow": ("pow", [_arr(3, lo=0.5), _arr(3)], {}),
    "pow_const": ("pow_scalar", [_arr(3, lo=0.5)], {"c": 2.5}),
    "exp": ("exp", [_arr(3)], {}),
    "log": ("log", [_arr(3, lo=0.5)], {}),
    "log1p": ("log1p", [_arr(3, lo=0.5)], {}),
    "sqrt": ("sqrt", [_arr(3, lo=0.5)], {}),
    "sin": ("sin", [_arr(3)], {}),
    "cos": ("cos", [_arr(3)], {}),
    "tan": ("tan", [_arr(3, lo=-1, hi=1)], {}),
    "tanh": ("tanh", [_arr(3)], {}),
    "sigmoid": ("sigmoid", [_arr(3)], {}),
    "relu": ("relu", [np.array([-1.0, 0.5, 2.0])], {}),
    "leaky_relu": ("leaky_relu", [np.array([-1.0, 0.5, 2.0])], {"slope": 0.1}),
    "softplus": ("softplus", [_arr(3)], {}),
    "abs": ("abs", [np.array([-1.0, 0.5, 2.0])], {}),
    "erf": ("erf", [_arr(3, lo=-1, hi=1)], {}),
    "maximum": ("maximum", [np.array([1.0, -2.0]), np.array([0.5, 3.0])], {}),
    "minimum": ("minimum", [np.array([1.0, -2.0]), np.array([0.5, 3.0])], {}),
    "elu": ("elu", [np.array([-1.0, 0.5, 2.0])], {"alpha": 1.0}),
    "where": ("where", [_arr(2, 2), _arr(2)], {"cond": np.array([[True, False], [False, True]])}),
    "sum": ("sum", [_arr(2, 3)], {"axis": 1, "keepdims": False}),
    "max": ("max", [np.array([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]])], {"axis": 1, "keepdims": False}),
    "min": ("min", [np.array([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]])], {"axis": 1, "keepdims": False}),
    "logsumexp": ("logsumexp", [_arr(2, 3)], {"axis": -1, "keepdims": False}),
    "softmax": ("softmax", [_arr(2, 3)], {"axis": -1}),
    "log_softmax": ("log_softmax", [_arr(2, 3)], {"axis": -1}),
    "reshape": ("reshape", [_arr(2, 3)], {"shape": (3, 2)}),
    "transpose": ("transpose", [_arr(2, 3)], {"axes": (1, 0)}),
    "broadcast_to": ("broadcast_to", [_arr(3)], {"shape": (2, 3)}),
    "getitem": ("getitem_int_array", [_arr(4)], {"index": (np.array([0, 2, 2]),)}),
    "concatenate": ("concatenate", [_arr(2), _arr(3)], {"axis": 0}),
    "pad": ("pad", [_arr(2, 2)], {"pad_width": ((1, 0), (0, 1)), "value": 0.0}),
    "matmul": ("matmul", [_arr(2, 3), _arr(3, 2)], {}),
    "einsum": ("einsum", [_arr(2, 3), _arr(3, 2)], {"subscripts": "ij,jk->ik"}),
}
RULE_PRIMITIVES = [v for v in vars(R).values() if isinstance(v, R.Primitive)]


def test_every_primitive_has_an_example():
    # scatter_add is getitem's VJP; its own VJP is exercised through jvp (see below).
    assert {p.name for p in RULE_PRIMITIVES} - {"scatter_add"} == set(EXAMPLES)


def _off_by_a_tenth_of_a_percent(vjp):
    return lambda *args, **kwargs: vjp(*args, **kwargs) * 1.001


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_check_vjp_catches_a_vjp_wrong_by_a_tenth_of_a_percent(name, monkeypatch):
    op_name, arrays, params = EXAMPLES[name]
    op = BY_NAME[op_name]
    check_vjp(op.op, op.ref, arrays, params)   # the example passes with the true rule ...
    prim = R.PRIMITIVES[name]
    monkeypatch.setattr(prim, "vjps", tuple(_off_by_a_tenth_of_a_percent(v) for v in prim.vjps))
    with pytest.raises(AssertionError):      # ... and fails with the wrong one
        check_vjp(op.op, op.ref, arrays, params)


def test_jvp_check_catches_a_wrong_scatter_add_vjp(monkeypatch):
    x, v, index = _arr(4), _arr(4), (np.array([0, 2, 2]),)
    expected = directional_derivative(lambda a: a[index], x, v)
    np.testing.assert_allclose(tg.jvp(lambda t: t[index], x, v)[1].data, expected, rtol=1e-6)
    prim = R.SCATTER_ADD
    monkeypatch.setattr(prim, "vjps", tuple(_off_by_a_tenth_of_a_percent(f) for f in prim.vjps))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(tg.jvp(lambda t: t[index], x, v)[1].data, expected, rtol=1e-6)


def test_second_order_check_catches_a_vjp_that_is_constant_in_create_graph_mode(monkeypatch):
    """sin's VJP written with x.data in node mode: right first derivative, Hessian missing -sin x."""
    op, x = BY_NAME["sin"], [_arr(3)]
    check_second_order(op.op, x, {})

    def detached(o, g, out, x):
        return g * o.cos(x if o is ArrayMath else x.detach())

    monkeypatch.setattr(R.SIN, "vjps", (detached,))
    check_vjp(op.op, op.ref, x, {})                # the first derivative is still right
    with pytest.raises(AssertionError):
        check_second_order(op.op, x, {})

