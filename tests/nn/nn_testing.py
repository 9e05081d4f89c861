"""Gradient comparison for the nn tests, built on the shared finite-difference oracle."""
import numpy as np
from support.finite_differences import numerical_grad

import tinygrad_udl as tg


def check_grads(fn, *arrays, rtol=1e-5, atol=1e-7, seed=0):
    """Compare backward() with central differences for fn(*Tensors) -> Tensor of any shape.

    A non-scalar output is reduced with fixed random weights, so every output element is checked.
    Returns the analytic gradients (for further checks).
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = fn(*[tg.Tensor(a) for a in arrays])
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    leaves = [tg.Tensor(a, requires_grad=True) for a in arrays]
    (fn(*leaves) * weights).sum().backward()
    grads = []
    for k, leaf in enumerate(leaves):
        def f_k(v, k=k):
            values = [v if j == k else a for j, a in enumerate(arrays)]
            return float(np.sum(fn(*[tg.Tensor(a) for a in values]).data * weights))
        expected = numerical_grad(f_k, arrays[k])
        got = np.zeros_like(arrays[k]) if leaf.grad is None else leaf.grad.data
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}")
        grads.append(got)
    return grads
