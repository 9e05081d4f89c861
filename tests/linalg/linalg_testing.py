"""Shared pieces of the linalg tests: matrices built well conditioned on purpose (drawn from a seed
and a shape that Hypothesis chooses), and the finite-difference comparisons of first and second
derivatives."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_udl as tg
import tinygrad_udl.linalg as la
from tinygrad_udl.autograd import samples

from support.finite_differences import numerical_grad

# Small batches: () (one matrix), (k,) or (k, l), and matrix sizes 1..4.
batch_shapes = st.lists(st.integers(1, 3), max_size=2).map(tuple)
sizes = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def general(rng, batch, n):
    """Square matrices D + small noise, D diagonal with entries ±[1, 2]: far from singular (as are
    their triangles), with determinants of both signs."""
    diagonal = rng.uniform(1, 2, batch + (n,)) * rng.choice([-1.0, 1.0], batch + (n,))
    return rng.standard_normal(batch + (n, n)) * (0.3 / np.sqrt(n)) + diagonal[..., None] * np.eye(n)


def spd(rng, batch, n):
    """Symmetric positive-definite matrices A Aᵀ + n·I (the op sweep's builder)."""
    return samples.spd(*batch, n, n)(rng)


def separated_spectrum(rng, batch, n):
    """Symmetric matrices whose eigenvalues are about 1 apart, so eigenvector gradients stay
    moderate (the builder of eigh's op-sweep sample)."""
    return la._separated_spectrum(*batch, n, n)(rng)


def symmetrised(fn):
    """fn applied to (X + Xᵀ)/2: a function of any square X whose finite differences perturb the
    symmetric input consistently (the symmetric-input functions reject asymmetric matrices)."""
    return lambda x, *rest: fn((x + x.swapaxes(-1, -2)) * 0.5, *rest)


def projected(fn, arrays, k, weights):
    """t -> <weights, fn(arrays with input k replaced by t)>: a scalar function of input k."""
    def f(t):
        args = [tg.Tensor(a) for a in arrays]
        args[k] = t
        return (fn(*args) * weights).sum()
    return f


def engine_grad(f, x):
    return tg.grad(f)(x).numpy()


def engine_second_order(f, x, u):
    """∇<∇f(x), u> (the Hessian times u) by differentiating the engine's backward pass."""
    return tg.grad(lambda t: (tg.grad(f)(t) * u).sum())(x).numpy()


def assert_close(actual, expected, tol):
    scale = max(1.0, float(np.max(np.abs(expected), initial=0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


def assert_gradients_match_fd(fn, arrays, *, second_order=True, seed=0, tol=1e-6):
    """For each input of fn (Tensors -> Tensor), the engine's gradient of a random projection of
    the output against central differences in float64; with second_order, also the gradient of
    <gradient, u> against central differences of the engine's first derivative."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    weights = rng.standard_normal(fn(*[tg.Tensor(a) for a in arrays]).shape)
    for k, x in enumerate(arrays):
        f = projected(fn, arrays, k, weights)
        assert_close(engine_grad(f, x), numerical_grad(lambda z: f(tg.Tensor(z)).item(), x), tol)
        if second_order:
            u = rng.standard_normal(x.shape)
            assert_close(engine_second_order(f, x, u),
                         numerical_grad(lambda z: np.sum(engine_grad(f, z) * u), x), 10 * tol)
