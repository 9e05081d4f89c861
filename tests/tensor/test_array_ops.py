"""Array operations (tinygrad_udl/autograd/array_ops.py) beyond the generic OpInfo checks: cumprod's
derivatives at zeros, einsum's diagonals, '...' and error messages, which elements sort/topk/
take_along_axis send gradients to, the documented zero or absent gradients of rounding, and
searchsorted's semantics. Every new primitive's VJP, made 0.1 % wrong, must be caught."""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl.autograd.tensor import apply
from tinygrad_udl.autograd import array_ops as A
from tinygrad_udl.autograd.rules import PRIMITIVES
from support.finite_differences import numerical_grad
from support.messages import raises_mentioning

from .checks import check_second_order, check_vjp
from .opinfo import BY_NAME
from .test_tensor_checker import _off_by_a_tenth_of_a_percent

T = tg.Tensor


def grad_of(fn, x):
    x = T(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn(x).backward()
    return x.grad.data


# ---- cumprod at zeros -----------------------------------------------------------------------------

ZERO_ROWS = [[0.0, 2.0, 3.0], [2.0, 0.0, 3.0], [2.0, 3.0, 0.0], [0.0, 0.0, 3.0], [2.0, 0.0, 0.0],
             [0.0, 0.0, 0.0], [1.5, 0.0, -2.0, 0.0, 0.5]]


@pytest.mark.parametrize("row", ZERO_ROWS, ids=str)
def test_cumprod_gradient_is_exact_at_zeros(row):
    """d/dx_i sum_j out_j = sum_{j>=i} prod_{k<=j, k!=i} x_k, written out; no 0/0 anywhere."""
    x = np.array(row)
    expected = [sum(np.prod(np.delete(x[:j + 1], i)) for j in range(i, len(x))) for i in range(len(x))]
    np.testing.assert_allclose(grad_of(lambda t: A.cumprod(t).sum(), x), expected)


@pytest.mark.parametrize("row", ZERO_ROWS, ids=str)
def test_cumprod_first_and_second_derivatives_at_zeros_match_finite_differences(row):
    """cumprod is multilinear, so central differences are exact at zeros: the second derivatives
    (create_graph) must match too, including d/dx_zero of the gradient after the zero."""
    op = BY_NAME["cumprod"]
    x = np.array([row, row[::-1]])
    check_vjp(op.op, op.ref, [x], {"axis": 1})
    check_second_order(op.op, [x], {"axis": 1})


def test_cumprod_third_derivative_at_zeros():
    x0, v, u = np.array([1.5, 0.0, -2.0, 0.0, 0.5]), np.linspace(0.5, 1.5, 5), np.linspace(1.2, 0.3, 5)
    f = lambda t: (A.cumprod(t) * np.arange(1.0, 6.0)).sum()   # noqa: E731
    third = tg.grad(lambda t: (tg.hvp(f, t, v)[1] * u).sum())(x0).data
    hvp = lambda x: (tg.hvp(f, x, v)[1].data * u).sum()       # noqa: E731
    np.testing.assert_allclose(third, numerical_grad(hvp, x0), rtol=1e-6, atol=1e-7)


def test_cumprod_gradient_without_underflow():
    """No division by x: tiny factors give the exact gradient, not 0/0 or inf."""
    x = np.array([1e-200, 1e-200, 3.0])
    np.testing.assert_allclose(grad_of(lambda t: A.cumprod(t)[2], x), [3e-200, 3e-200, 0.0], rtol=1e-12)  # 1e-400 underflows


# ---- einsum: diagonals, '...', errors ---------------------------------------------------------------

EINSUM_CASES = [("ii->i", [(3, 3)]), ("ii->", [(3, 3)]), ("ii", [(3, 3)]), ("iij->j", [(2, 2, 3)]),
                ("iji->j", [(2, 3, 2)]), ("iiii->i", [(2, 2, 2, 2)]), ("ii,jj->ij", [(2, 2), (3, 3)]),
                ("ij,jj->i", [(2, 3), (3, 3)]), ("...i", [(2, 3)]), ("i...", [(2, 3)]),
                ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("...ii->...i", [(2, 3, 3)]), ("i...i", [(3, 2, 3)]),
                ("...,...", [(2, 3), (3,)]), ("...i,...i->...", [(2, 1, 3), (4, 3)]),
                ("ij...,j->...i", [(2, 3, 4), (3,)])]


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_diagonals_and_ellipsis_match_numpy_with_gradients(subscripts, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    op, ref = BY_NAME["einsum_diagonal_ellipsis"].op, BY_NAME["einsum_diagonal_ellipsis"].ref
    out = op(*[T(a) for a in arrays], subscripts=subscripts)
    np.testing.assert_allclose(out.data, np.einsum(subscripts, *arrays), rtol=1e-12, atol=1e-12)
    check_vjp(op, ref, arrays, {"subscripts": subscripts})
    check_second_order(op, arrays, {"subscripts": subscripts})


def test_einsum_trace_gradient_is_the_identity():
    np.testing.assert_array_equal(grad_of(lambda t: tg.einsum("ii", t), np.ones((3, 3))), np.eye(3))


EINSUM_ERRORS = {
    "operand count": ("ij,jk->ik", [(2, 2)], ValueError, ["einsum 'ij,jk->ik'", "(2, 2)", "2 operand(s)", "1 were"]),
    "letters for axes": ("ijk->i", [(2, 3)], tg.ShapeError, ["operand 0 ('ijk')", "3 axes", "2 dimension"]),
    "diagonal sizes": ("ii->i", [(2, 3)], tg.ShapeError, ["(2, 3)", "repeats 'i'", "2 and 3"]),
    "letter sizes": ("ij,jk", [(2, 3), (4, 2)], tg.ShapeError, ["letter 'j'", "3", "4", "(2, 3), (4, 2)"]),
    "no ... in the output": ("...i->i", [(2, 3)], ValueError, ["'...'", "1 axes", "(2, 3)"]),
    "repeated output": ("i->ii", [(3,)], ValueError, ["output letter 'i' is repeated"]),
    "unknown output": ("ij->k", [(2, 2)], ValueError, ["output letter 'k' is in no operand"]),
    "two dots": ("..i->i", [(3,)], ValueError, ["'..i'", "letters and one '...'"]),
    "digits": ("i1->i", [(3, 3)], ValueError, ["'i1'"]),
}


@pytest.mark.parametrize("name", EINSUM_ERRORS)
def test_einsum_errors_name_the_subscripts_and_shapes(name):
    subscripts, shapes, error, parts = EINSUM_ERRORS[name]
    raises_mentioning(error, lambda: tg.einsum(subscripts, *[T(np.ones(s)) for s in shapes]), parts)


# ---- where sort, topk and take_along_axis send gradients ---------------------------------------------


def test_sort_gradient_goes_to_the_element_each_value_came_from():
    x = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(grad_of(lambda t: (A.sort(t) * np.array([1.0, 10.0, 100.0])).sum(), x),
                                  [100.0, 1.0, 10.0])


@pytest.mark.parametrize("largest, expected", [(True, [10.0, 0.0, 0.0, 1.0]), (False, [0.0, 1.0, 10.0, 0.0])])
def test_topk_values_carry_gradients_and_indices_do_not(largest, expected):
    x = T(np.array([3.0, 1.0, 2.0, 5.0]), requires_grad=True)
    values, indices = A.topk(x, 2, largest=largest)
    assert indices.dtype == np.int64 and not indices.requires_grad and values.requires_grad
    np.testing.assert_array_equal(values.data, x.data[indices.data])
    (values * np.array([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, expected)


def test_topk_unsorted_picks_the_same_elements():
    x = np.random.default_rng(1).permutation(20).reshape(4, 5).astype(float)
    for largest in (True, False):
        ordered = A.topk(x, 3, axis=1, largest=largest)[1].data
        unordered = A.topk(x, 3, axis=1, largest=largest, sorted=False)[1].data
        np.testing.assert_array_equal(np.sort(ordered, axis=1), np.sort(unordered, axis=1))


def test_argsort_and_searchsorted_are_constant_integer_tensors():
    x = T(np.array([0.3, -1.0, 2.0]), requires_grad=True)
    for out in (x.argsort(), A.argsort(x, axis=None), A.searchsorted(x.detach().data[[1, 0, 2]], x)):
        assert out.dtype == np.int64 and not out.requires_grad


def test_take_along_axis_repeated_indices_accumulate():
    assert grad_of(lambda t: A.take_along_axis(t, np.array([0, 0, 2, 0]), 0).sum(), [1.0, 2.0, 3.0]).tolist() == \
        [3.0, 0.0, 1.0]
    x = np.arange(6.0).reshape(2, 3)
    indices = np.array([[2, 2], [0, 1]])
    np.testing.assert_array_equal(grad_of(lambda t: A.take_along_axis(t, indices, 1).sum(), x),
                                  [[0.0, 0.0, 2.0], [1.0, 1.0, 0.0]])


# ---- rounding: documented zero gradients ----------------------------------------------------------


@pytest.mark.parametrize("fn", [A.floor, A.ceil, A.round, tg.Tensor.round], ids=["floor", "ceil", "round", "method"])
def test_rounding_returns_constants_so_only_other_paths_carry_gradient(fn):
    x0 = np.array([-1.7, 0.2, 2.5])
    x = T(x0, requires_grad=True)
    assert not fn(x).requires_grad
    # d/dx (round(x) * x) is round(x): the rounded factor is a constant (its derivative is 0 a.e.).
    np.testing.assert_array_equal(tg.grad(lambda t: (fn(t) * t).sum())(x0).data, fn(T(x0)).data)
    np.testing.assert_array_equal(tg.grad(lambda t: fn(t).sum())(x0).data, np.zeros(3))


def test_straight_through_estimator_from_the_docstring():
    np.testing.assert_array_equal(grad_of(lambda t: (t + (t.round() - t).detach()).sum(), [0.4, 1.6]), [1.0, 1.0])


def test_round_halves_to_even_as_numpy():
    assert A.round(T([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]
    assert A.round(T(np.array([1.234, 5.678])), 1).tolist() == [1.2, 5.7]


# ---- searchsorted ---------------------------------------------------------------------------------


def test_searchsorted_sides_scalars_and_sorter():
    a = T(np.array([1.0, 2.0, 2.0, 3.0]))
    assert a.searchsorted([2.0, 0.0, 9.0]).tolist() == [1, 0, 4]
    assert a.searchsorted([2.0, 0.0, 9.0], side="right").tolist() == [3, 0, 4]
    assert A.searchsorted(a, 2.5).shape == () and A.searchsorted(a, 2.5).item() == 3
    unsorted = np.array([3.0, 1.0, 2.0])
    assert A.searchsorted(unsorted, 2.5, sorter=np.argsort(unsorted)).item() == 2


@pytest.mark.parametrize("call, error, part", [
    (lambda: A.searchsorted(np.ones((2, 2)), 1.0), tg.ShapeError, "1-D"),
    (lambda: A.searchsorted(np.ones(2), 1.0, side="middle"), ValueError, "'middle'"),
])
def test_searchsorted_errors(call, error, part):
    with pytest.raises(error, match=part):
        call()


# ---- argument errors ------------------------------------------------------------------------------

ERRORS = {
    "diagonal_1d": (lambda: A.diagonal(np.ones(3)), tg.ShapeError, ["diagonal", "(3,)"]),
    "diagonal_same_axes": (lambda: A.diagonal(np.ones((2, 2)), 0, 1, -1), ValueError, ["diagonal", "axis 1"]),
    "diag_3d": (lambda: A.diag(np.ones((2, 2, 2))), tg.ShapeError, ["diag", "(2, 2, 2)"]),
    "cumsum_0d": (lambda: A.cumsum(np.float64(1.0), axis=0), tg.ShapeError, ["cumsum", "axis=None"]),
    "cumprod_axis": (lambda: A.cumprod(np.ones((2, 3)), axis=2), tg.ShapeError, ["cumprod", "axis 2"]),
    "topk_k": (lambda: A.topk(np.ones((2, 3)), 4), ValueError, ["topk", "k=4", "size 3"]),
    "take_float_indices": (lambda: A.take_along_axis(np.ones(3), np.array([0.0]), 0), TypeError, ["integers"]),
    "take_ndim": (lambda: A.take_along_axis(np.ones((2, 3)), np.array([0]), 1), tg.ShapeError, ["(1,)", "(2, 3)"]),
    "take_range": (lambda: A.take_along_axis(np.ones(3), np.array([3]), 0), IndexError, ["out of range", "size 3"]),
    "take_other_axes": (lambda: A.take_along_axis(np.ones((2, 3)), np.zeros((3, 1), int), 1), tg.ShapeError,
                        ["(3, 1)", "(2, 3)", "other than 1"]),
    "roll_pairs": (lambda: A.roll(np.ones((2, 3)), (1, 2, 3), (0, 1)), tg.ShapeError, ["roll", "(1, 2, 3)"]),
    "roll_flat_tuple": (lambda: A.roll(np.ones((2, 3)), (1, 2)), TypeError, ["roll", "axis=None"]),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_name_the_op_and_the_shapes(name):
    call, error, parts = ERRORS[name]
    raises_mentioning(error, call, parts)


def test_numpy_array_methods_are_tensor_methods_except_in_place_sort():
    x = T(np.arange(6.0).reshape(2, 3))
    for name in ["cumsum", "cumprod", "diagonal", "trace", "argsort", "round", "searchsorted"]:
        assert getattr(tg.Tensor, name) is getattr(A, name)
    assert not hasattr(x, "sort")   # ndarray.sort sorts in place; a Tensor never changes: use sort(x)


def test_logaddexp_is_stable_and_its_gradient_is_a_sigmoid():
    out = A.logaddexp(T([1000.0, -1000.0, 0.0]), T([1000.0, -1000.0, -np.inf]))
    np.testing.assert_allclose(out.data, [1000.0 + np.log(2.0), -1000.0 + np.log(2.0), 0.0])
    a, b = T([1000.0, 0.0], requires_grad=True), T([999.0, -np.inf], requires_grad=True)
    A.logaddexp(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [1 / (1 + np.exp(-1.0)), 1.0])
    np.testing.assert_allclose(b.grad.data, [1 / (1 + np.exp(1.0)), 0.0])


# ---- the checks can fail: every new primitive's VJP, 0.1 % wrong, is caught -----------------------

def _recurrence_ref(b, a, axis, reverse):
    """h_i = a_i h_{i-1} + b_i, or in reverse h_i = a_{i+1} h_{i+1} + b_i: one step at a time."""
    b, a = np.moveaxis(b, axis, -1), np.moveaxis(a, axis, -1)
    n = b.shape[-1]
    out, h = np.zeros(b.shape), 0.0
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        if reverse:
            h = (a[..., i + 1] * h if i + 1 < n else 0.0) + b[..., i]
        else:
            h = a[..., i] * h + b[..., i]
        out[..., i] = h
    return np.moveaxis(out, -1, axis)


def _recurrence(b, a, axis, reverse):
    return apply(PRIMITIVES["linear_recurrence"], b, a, axis=axis, reverse=reverse)


def _from_registry(name, arrays, params):
    return BY_NAME[name].op, BY_NAME[name].ref, arrays, params


# (op, reference, float64 inputs, params) reaching each primitive; every gradient nonzero.
_RNG = np.random.default_rng(3)
EXAMPLES = {
    "cumsum": _from_registry("cumsum", [_RNG.uniform(-2, 2, (2, 3))], {"axis": 1}),
    "cumprod": _from_registry("cumprod", [np.array([[1.5, 0.0, -2.0], [0.5, 1.2, -0.7]])], {"axis": 1}),
    "diagonal": _from_registry("diagonal", [_RNG.uniform(-2, 2, (3, 3))], {"offset": 0, "axis1": 0, "axis2": 1}),
    "diagonal_embed": _from_registry("diag", [_RNG.uniform(-2, 2, 3)], {"k": 1}),
    "roll": _from_registry("roll", [_RNG.uniform(-2, 2, (2, 3))], {"shift": 1, "axis": 1}),
    "logaddexp": _from_registry("logaddexp", [_RNG.uniform(-2, 2, 3), _RNG.uniform(-2, 2, 3)], {}),
    "linear_recurrence": (_recurrence, _recurrence_ref, [_RNG.uniform(0.5, 1.5, (2, 4)) for _ in "ba"],
                          {"axis": 1, "reverse": False}),
}


def test_linear_recurrence_matches_the_step_by_step_reference_both_ways():
    b, a = _RNG.standard_normal((3, 6, 2)), _RNG.standard_normal((3, 6, 2))
    for reverse in (False, True):
        params = {"axis": 1, "reverse": reverse}
        np.testing.assert_allclose(_recurrence(T(b), T(a), **params).data, _recurrence_ref(b, a, **params), rtol=1e-12)
        check_vjp(_recurrence, _recurrence_ref, [b, a], params)
        check_second_order(_recurrence, [b, a], params)


def test_every_new_primitive_has_an_example():
    assert {name for name, p in PRIMITIVES.items() if p.forward.__module__ == A.__name__} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_check_vjp_catches_a_vjp_wrong_by_a_tenth_of_a_percent(name, monkeypatch):
    op, ref, arrays, params = EXAMPLES[name]
    check_vjp(op, ref, arrays, params)
    prim = PRIMITIVES[name]
    monkeypatch.setattr(prim, "vjps", tuple(_off_by_a_tenth_of_a_percent(v) for v in prim.vjps))
    with pytest.raises(AssertionError):
        check_vjp(op, ref, arrays, params)
