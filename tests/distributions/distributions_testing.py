"""Shared oracles for the distribution tests: gradients by central differences (float64)."""
import numpy as np
from support.finite_differences import numerical_grad

import tinygrad_udl as tg


def assert_grads_match(fn, *arrays, rtol=1e-6, atol=1e-8):
    """backward() of the scalar `fn(*Tensors)` against central differences of `fn` on constants,
    for every argument."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    leaves = [tg.Tensor(a, requires_grad=True) for a in arrays]
    fn(*leaves).backward()
    for k, leaf in enumerate(leaves):
        def f_k(v, k=k):
            return fn(*[tg.Tensor(v if j == k else a) for j, a in enumerate(arrays)]).item()
        expected = numerical_grad(f_k, arrays[k])
        got = np.zeros_like(arrays[k]) if leaf.grad is None else leaf.grad.data
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"gradient of argument {k}")


def weights(shape, seed=0):
    """Fixed random weights that reduce an array-valued result to one number, so that every element
    of it takes part in a gradient check."""
    return np.random.default_rng(seed).standard_normal(shape)
