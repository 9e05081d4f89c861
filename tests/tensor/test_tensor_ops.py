"""Generic checks over the op registry (opinfo.py): every Tensor op, forward and derivatives.

- forward (float64) equals the numpy/scipy reference, and never changes its inputs;
- the VJP equals central finite differences of the reference (float64);
- create_graph=True gives the same gradient, and its derivative equals finite differences of the
  gradient (second order);
- float32 inputs give float32 outputs and float32 gradients (no silent up-cast, not even inside a
  VJP: a hook on the leaf sees the gradient before any cast) close to the float64 results;
- jvp (forward mode by the double-VJP trick) equals directional finite differences;
- on the elementwise ops `Value` shares, Value and Tensor give the same values and gradients.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg

from support.finite_differences import directional_derivative

from .checks import as_list, check_second_order, check_vjp, engine_grads, leaves, random_weights
from .opinfo import OPS

DIFFERENTIABLE = [op for op in OPS if op.grad]
SHARED_WITH_VALUE = [op for op in OPS if op.value]


def ids(op):
    return op.name


@pytest.mark.parametrize("op", OPS, ids=ids)
@settings(max_examples=25)
@given(data=st.data())
def test_forward_matches_numpy(op, data):
    arrays, params = data.draw(op.args)
    copies = [a.copy() for a in arrays]
    xs = [tg.Tensor(a) for a in arrays]
    outs, refs = as_list(op.op(*xs, **params)), as_list(op.ref(*arrays, **params))
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        assert isinstance(out, tg.Tensor)
        assert out.shape == np.shape(ref)
        assert out.dtype == np.result_type(ref), f"{op.name}: dtype {out.dtype}, numpy gives {np.result_type(ref)}"
        np.testing.assert_allclose(out.data, ref, rtol=1e-10, atol=1e-12)
    for a, c in zip(arrays, copies):
        np.testing.assert_array_equal(a, c)  # operations never mutate their inputs


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=ids)
@settings(max_examples=15)
@given(data=st.data())
def test_vjp_matches_finite_differences(op, data):
    arrays, params = data.draw(op.args)
    check_vjp(op.op, op.ref, arrays, params)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=ids)
@settings(max_examples=8)
@given(data=st.data())
def test_second_order_matches_finite_differences(op, data):
    arrays, params = data.draw(op.args)
    check_second_order(op.op, arrays, params)


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if op.name != "split"], ids=ids)
@settings(max_examples=10)
@given(data=st.data())
def test_jvp_matches_finite_differences(op, data):
    """jvp is a VJP of a VJP (the double-VJP trick): it checks that every VJP is linear in its seed
    and transposes correctly in node mode -- including scatter_add, getitem's VJP."""
    arrays, params = data.draw(op.args)
    i = data.draw(st.integers(0, len(arrays) - 1))
    v = random_weights([arrays[i].shape], seed=2)[0] - 1.0   # directions of both signs

    def with_input(x, make):
        args = [make(a) for a in arrays]
        args[i] = x
        return args

    _, jv = tg.jvp(lambda x: op.op(*with_input(x, tg.Tensor), **params), arrays[i], v)
    expected = directional_derivative(lambda x: op.ref(*with_input(x, np.asarray), **params), arrays[i], v)
    assert jv.shape == expected.shape
    np.testing.assert_allclose(jv.data, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=ids)
@settings(max_examples=10)
@given(data=st.data())
def test_float32_stays_float32_and_is_close_to_float64(op, data):
    arrays, params = data.draw(op.args)
    params32 = {k: p.astype(np.float32) if isinstance(p, np.ndarray) and p.dtype == np.float64 else p
                for k, p in params.items()}   # numpy constants would promote float32 to float64, as in numpy
    xs = leaves(arrays, np.float32)
    seen = []
    for x in xs:
        x.register_hook(lambda g: seen.append(g.dtype))
    outs = as_list(op.op(*xs, **params32))
    weights = random_weights([o.shape for o in outs], seed=0)
    tg.grad(outs, xs, [w.astype(np.float32) for w in weights], allow_unused=True)
    assert all(o.dtype == np.float32 for o in outs)
    assert all(d == np.float32 for d in seen), f"{op.name}: a VJP up-cast float32 to {seen}"

    rtol, atol = op.tol32
    ref = as_list(op.op(*leaves(arrays), **params))
    for o, r in zip(outs, ref):
        np.testing.assert_allclose(o.data, r.data, rtol=rtol, atol=atol, err_msg="forward float32 vs float64")
    g32 = engine_grads(op.op, arrays, params32, weights, np.float32)
    g64 = engine_grads(op.op, arrays, params, weights)
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * max(1.0, np.abs(b).max(initial=0)),
                                   err_msg="gradient float32 vs float64")


@pytest.mark.parametrize("op", SHARED_WITH_VALUE, ids=ids)
@settings(max_examples=20)
@given(data=st.data())
def test_value_and_tensor_agree(op, data):
    """Same rule table, two engines: values, first and second derivatives must agree."""
    arrays, params = data.draw(op.args)
    scalars = [float(a.flat[0]) for a in arrays]
    params = _scalar_params(params)
    values = [tg.Value(s) for s in scalars]
    tensors = [tg.Tensor(np.float64(s), requires_grad=True) for s in scalars]
    v_out, t_out = op.op(*values, **params), op.op(*tensors, **params)
    assert isinstance(v_out, tg.Value) and isinstance(t_out, tg.Tensor)
    np.testing.assert_allclose(v_out.data, t_out.item(), rtol=1e-12, atol=1e-14)
    v_grads = tg.grad(v_out, values, create_graph=True, allow_unused=True)
    t_grads = tg.grad(t_out, tensors, create_graph=True, allow_unused=True)
    np.testing.assert_allclose([_number(g) for g in v_grads], [_number(g) for g in t_grads], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_second(v_grads, values), _second(t_grads, tensors), rtol=1e-10, atol=1e-12)


def _number(g):
    return 0.0 if g is None else float(g.data)


def _second(grads, inputs):
    """d/dx_j of sum_i dy/dx_i: a row of second derivatives, through create_graph's graph."""
    terms = [g for g in grads if g is not None and g.requires_grad]
    if not terms:
        return [0.0] * len(inputs)
    return [_number(h) for h in tg.grad(sum(terms[1:], terms[0]), inputs, allow_unused=True)]


def _scalar_params(params):
    """An array constant becomes its first element (Values are scalars)."""
    return {k: float(np.asarray(p).flat[0]) if isinstance(p, np.ndarray) else p for k, p in params.items()}
