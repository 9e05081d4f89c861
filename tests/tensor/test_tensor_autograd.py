"""Autograd semantics of Tensor (docs/tensors.md, "Backward, and what it keeps"), checked against closed forms.

Accumulation across backward calls, freed graphs, create_graph, detach, no_grad / enable_grad, hooks,
retain_grad, gradients summed back over broadcast axes, the dtype of gradients, read-only gradient
arrays, a deep chain without recursion, and comparisons (boolean tensors without gradient).
"""
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_udl as tg
from tinygrad_udl import GraphFreedError, Tensor
from support.finite_differences import numerical_grad


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ---- accumulation, retain_graph, create_graph -----------------------------------------------------


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    (3 * x).sum().backward()                       # a second graph: gradients add up
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 3)
    tg.zero_grad([x])
    assert x.grad is None
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0, 3.0])


def test_second_backward_through_a_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_allclose(x.grad.data, np.exp(x.data) * (1 + x.data))   # unchanged by the failed call


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(x.data) * (1 + x.data))


def test_create_graph_gives_gradients_of_gradients():
    x = leaf([0.5, -1.5])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad                          # the gradient is a node with a graph of its own
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    x.grad = None
    (g * g).sum().backward()                        # d/dx sum (3x^2)^2 = 36 x^3
    np.testing.assert_allclose(x.grad.data, 36 * x.data ** 3)


def test_functional_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = tg.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert x.grad is None


# ---- detach, no_grad, enable_grad -----------------------------------------------------------------


def test_detach_stops_gradients_and_shares_data():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.data is x.data
    (x * d).sum().backward()                        # d is a constant: d/dx (x * c) = c
    np.testing.assert_allclose(x.grad.data, [1.0, 2.0])


def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2).exp()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.op == "" and y._parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_enable_grad_inside_no_grad_records_again():
    x = leaf([1.0, 2.0])
    with tg.no_grad():
        with tg.enable_grad():
            y = (x * x).sum()
        z = x * 3
    assert y.requires_grad and not z.requires_grad
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_no_grad_as_decorator_and_restored_after_an_exception():
    @tg.no_grad()
    def double(t):
        return t * 2

    assert not double(leaf([1.0])).requires_grad
    with pytest.raises(ZeroDivisionError):
        with tg.no_grad():
            raise ZeroDivisionError
    assert tg.is_grad_enabled()


# ---- hooks and retain_grad ------------------------------------------------------------------------


def test_hook_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))      # returns None: only observes
    x.register_hook(lambda g: g * 10)                          # replaces
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [20.0, 40.0])


def test_hook_on_an_intermediate_changes_what_flows_upstream():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()                        # upstream of h: 0.5 * 2h, then times 3
    np.testing.assert_allclose(x.grad.data, 0.5 * 2 * (3 * x.data) * 3)


def test_hook_result_is_copied_not_aliased():
    """A hook may return another tensor; the engine must not make that tensor's data read-only."""
    p = leaf([5.0, 5.0])
    x = leaf([1.0, 1.0])
    x.register_hook(lambda g: p)
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])
    p.data -= 1.0                                   # an optimizer step on p still works
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])


def test_hook_with_the_wrong_shape_is_refused():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: np.ones(3))
    with pytest.raises(tg.ShapeError, match=r"shape \(3,\).*shape \(2,\)"):
        (x * x).sum().backward()


def test_register_hook_needs_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(print)


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    x = leaf([1.0, 2.0])
    h, k = x * 3, x * 4
    h.retain_grad()
    (h * h + k).sum().backward()
    np.testing.assert_allclose(h.grad.data, 2 * h.data)
    assert k.grad is None                            # non-leaves keep no gradient by default


# ---- broadcasting and dtypes ----------------------------------------------------------------------


@settings(max_examples=25)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3), seed=st.integers(0, 2**16))
def test_broadcast_gradients_are_summed_back_to_each_input_shape(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-2, 2, s) for s in shapes.input_shapes)
    ta, tb = leaf(a), leaf(b)
    (ta * tb + ta).sin().sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    np.testing.assert_allclose(ta.grad.data, numerical_grad(lambda v: np.sin(v * b + v).sum(), a), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tb.grad.data, numerical_grad(lambda v: np.sin(a * v + a).sum(), b), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_keep_the_dtype_of_their_tensor(dtype):
    x = leaf([[1.0, 2.0], [3.0, 4.0]], dtype)
    w = leaf([0.5, -0.5], dtype)
    loss = ((x @ w).tanh() + x.mean(axis=0).softmax().log()).sum() * 2.0 + (x ** 2).var()
    assert loss.dtype == dtype
    loss.backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_float32_leaf_in_a_float64_computation_gets_a_float32_gradient():
    x = leaf([1.0, 2.0], np.float32)
    y = x * np.array([1.5, 2.5])                     # a float64 numpy array promotes, as in numpy
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [1.5, 2.5])


def test_gradient_arrays_are_read_only_and_parameters_stay_writeable():
    w = leaf([1.0, 2.0])
    x = leaf([3.0, 4.0])
    (w * x + w).sum().backward()
    with pytest.raises(ValueError, match="read-only"):
        w.grad.data[0] = 0.0
    w.data -= 0.1 * w.grad.data                     # the documented update, out of the graph
    w.grad = None
    np.testing.assert_allclose(w.data, [1.0 - 0.4, 2.0 - 0.5])
    assert x.data.flags.writeable


def test_backward_grad_argument_sets_the_upstream_gradient():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(grad=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, -6.0])
    y = leaf([1.0, 2.0])
    (y * 3).backward(grad=Tensor([1.0, 1.0]))
    np.testing.assert_allclose(y.grad.data, [3.0, 3.0])


def test_a_deep_chain_needs_no_recursion():
    x = leaf([0.5])
    y = x
    for _ in range(5000):                            # far beyond Python's recursion limit
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0001 ** 5000])


def test_a_value_used_twice_gets_both_contributions():
    # Section 7.3 / eqs. 7.42-7.44: gradients from several consumers are summed.
    x = leaf([0.3])
    f1 = x.exp()
    f3 = f1 + f1 * f1
    (f3.exp() + f3.sin()).sum().backward()
    e = np.exp(0.3)
    f = e + e * e
    np.testing.assert_allclose(x.grad.data, (np.exp(f) + np.cos(f)) * (e + 2 * e * e))


def test_only_leaves_can_change_requires_grad_and_only_floats_have_gradients():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        (x * 2).requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], dtype="int64", requires_grad=True)


def test_tensors_are_not_changed_in_place():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="not changed in place"):
        x[0] = 5.0


# ---- comparisons and other constants --------------------------------------------------------------

COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("cmp", COMPARISONS, ids=lambda f: f.__name__)
@settings(max_examples=10)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       data=st.data())
def test_comparisons_give_boolean_tensors_without_gradient(cmp, shapes, data):
    elements = st.integers(-2, 2).map(float)         # small integers: equal elements are likely
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=elements))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=elements))
    ta = leaf(a)
    for result, expected in [(cmp(ta, Tensor(b)), cmp(a, b)), (cmp(ta, b), cmp(a, b)),
                             (cmp(b, ta), cmp(b, a)), (cmp(ta, 1.0), cmp(a, 1.0)), (cmp(1.0, ta), cmp(1.0, a))]:
        assert isinstance(result, Tensor) and result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)


@settings(max_examples=20)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                    elements=st.integers(-3, 3).map(float)), data=st.data())
def test_argmax_argmin_sign_match_numpy(x, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    keepdims = data.draw(st.booleans())
    t = leaf(x)
    for name in ("argmax", "argmin"):
        result = getattr(t, name)(axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(result.data, getattr(np, name)(x, axis=axis, keepdims=keepdims))
        assert not result.requires_grad
    s = t.sign()
    np.testing.assert_array_equal(s.data, np.sign(x))
    assert not s.requires_grad


def test_one_hot_rows_of_the_identity():
    labels = np.array([[2, 0], [1, 1]])
    oh = tg.one_hot(labels, 3)
    assert oh.shape == (2, 2, 3) and oh.dtype == tg.get_default_dtype() and not oh.requires_grad
    np.testing.assert_array_equal(oh.data, np.eye(3)[labels])
    assert tg.one_hot(Tensor(np.array([1])), 2, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match=r"0\.\.2"):
        tg.one_hot(np.array([3]), 3)
    with pytest.raises(TypeError, match="integers"):
        tg.one_hot(np.array([1.0]), 3)
