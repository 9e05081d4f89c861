"""The gradient checks behind the generic op tests: the engine's derivatives against central finite
differences of the numpy reference (first order), and of the engine's own first derivative (second
order, which is where create_graph=True's node-mode VJPs are exercised).

A non-scalar output (or several outputs) is checked through a fixed random projection
L = sum_k <w_k, out_k> with weights in [0.5, 1.5]: the engine's VJP with seed w_k must equal dL/dx.
test_tensor_checker.py shows these checks catch a VJP that is wrong by 0.1 %.
"""
import numpy as np

import tinygrad_udl as tg
from support.finite_differences import numerical_grad


def as_list(out):
    return list(out) if isinstance(out, list | tuple) else [out]


def random_weights(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, shape) for shape in shapes]


def leaves(arrays, dtype=np.float64):
    return [tg.Tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]


def engine_grads(op, arrays, params, weights, dtype=np.float64):
    """The engine's VJP (raw mode) of op at `arrays` with output seeds `weights`, as float arrays."""
    xs = leaves(arrays, dtype)
    outs = as_list(op(*xs, **params))
    grads = tg.grad(outs, xs, [np.asarray(w, dtype=dtype) for w in weights], allow_unused=True)
    return [np.zeros_like(x.data) if g is None else g.data for g, x in zip(grads, xs)]


def output_shapes(ref, arrays, params):
    return [np.shape(o) for o in as_list(ref(*arrays, **params))]


def _replace(arrays, i, xi):
    args = list(arrays)
    args[i] = xi
    return args


def _assert_close(actual, expected, rtol, atol, what):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def check_vjp(op, ref, arrays, params, rtol=1e-6, atol=1e-7, seed=0):
    """Raise AssertionError unless the engine's VJP equals central differences of `ref` (float64)."""
    weights = random_weights(output_shapes(ref, arrays, params), seed)
    grads = engine_grads(op, arrays, params, weights)

    for i, x in enumerate(arrays):
        def projected(xi, i=i):
            return sum(np.sum(w * o) for w, o in zip(weights, as_list(ref(*_replace(arrays, i, xi), **params))))

        assert grads[i].shape == np.shape(x), f"gradient of input {i} has shape {grads[i].shape}, input {np.shape(x)}"
        _assert_close(grads[i], numerical_grad(projected, x), rtol, atol, f"VJP of input {i} vs finite differences")


def check_second_order(op, arrays, params, rtol=1e-5, atol=1e-6, seed=0):
    """Raise AssertionError unless the create_graph=True gradient (a) has the raw gradient's values and
    (b) differentiates to central differences of the raw gradient: d/dx_j sum_i <v_i, dL/dx_i>."""
    xs = leaves(arrays)
    outs = as_list(op(*xs, **params))
    weights = random_weights([o.shape for o in outs], seed)
    v = random_weights([np.shape(a) for a in arrays], seed + 1)
    grads = tg.grad(outs, xs, [np.asarray(w) for w in weights], create_graph=True, allow_unused=True)
    raw = engine_grads(op, arrays, params, weights)
    for i, (g, r) in enumerate(zip(grads, raw)):
        _assert_close(np.zeros_like(r) if g is None else g.data, r, 1e-12, 1e-12,
                      f"create_graph gradient of input {i} vs raw-mode gradient")

    terms = [(g * vi).sum() for g, vi in zip(grads, v) if g is not None and g.requires_grad]
    if terms:
        second = tg.grad([sum(terms[1:], terms[0])], xs, allow_unused=True)
        hv = [np.zeros_like(x.data) if h is None else h.data for h, x in zip(second, xs)]
    else:  # the gradient does not depend on the inputs: the op is linear, its Hessian is zero
        hv = [np.zeros_like(x.data) for x in xs]

    for j, x in enumerate(arrays):
        def directional(xj, j=j):
            return sum(np.sum(vi * gi) for vi, gi in zip(v, engine_grads(op, _replace(arrays, j, xj), params, weights)))

        _assert_close(hv[j], numerical_grad(directional, x, eps=1e-5), rtol, atol,
                      f"second derivative (create_graph) of input {j} vs finite differences of the gradient")

