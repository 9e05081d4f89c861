"""Forward passes against numpy.linalg and scipy.linalg, batched shapes drawn by Hypothesis, and
float32 against float64."""
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
import tinygrad_udl.linalg as la

from linalg_testing import batch_shapes, general, seeds, separated_spectrum, sizes, spd


@settings(max_examples=40)
@given(batch=batch_shapes, n=sizes, seed=seeds)
def test_square_matrix_functions_match_numpy(batch, n, seed):
    a = general(np.random.default_rng(seed), batch, n)
    np.testing.assert_allclose(la.det(a).numpy(), np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(la.inv(a).numpy(), np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    sign, logabsdet = la.slogdet(a)
    expected = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.numpy(), expected[0])
    np.testing.assert_allclose(logabsdet.numpy(), expected[1], rtol=1e-12, atol=1e-12)
    assert not sign.requires_grad   # the sign is a constant


@settings(max_examples=40)
@given(batch=batch_shapes, n=sizes, k=st.integers(1, 3), seed=seeds, vector=st.booleans(),
       b_batch=st.sampled_from(["same", "none", "broadcast"]))
def test_solve_matches_numpy_for_vectors_matrices_and_broadcast_batches(batch, n, k, seed, vector, b_batch):
    rng = np.random.default_rng(seed)
    a = general(rng, batch, n)
    if vector:
        b = rng.standard_normal(n)
    else:
        lead = {"same": batch, "none": (), "broadcast": (2,) + (1,) * len(batch)}[b_batch]
        b = rng.standard_normal(lead + (n, k))
    x = la.solve(a, b)
    expected = np.linalg.solve(a, b)
    assert x.shape == expected.shape
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(batch=batch_shapes, n=sizes, seed=seeds, lower=st.booleans(), trans=st.sampled_from([0, 1, 2, "N", "T", "C"]),
       unit_diagonal=st.booleans(), vector=st.booleans())
def test_solve_triangular_matches_scipy_matrix_by_matrix(batch, n, seed, lower, trans, unit_diagonal, vector):
    rng = np.random.default_rng(seed)
    a = general(rng, batch, n)           # both triangles filled: the one not named must be ignored
    b = rng.standard_normal((n,) if vector else batch + (n, 2))
    x = la.solve_triangular(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal).numpy()
    for index in np.ndindex(batch):
        rhs = b if vector else b[index]
        expected = scipy.linalg.solve_triangular(a[index], rhs, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
        np.testing.assert_allclose(x[index], expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(batch=batch_shapes, n=sizes, seed=seeds)
def test_cholesky_matches_numpy(batch, n, seed):
    a = spd(np.random.default_rng(seed), batch, n)
    L = la.cholesky(a).numpy()
    np.testing.assert_allclose(L, np.linalg.cholesky(a), rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(L, 1) == 0)


@settings(max_examples=40)
@given(batch=batch_shapes, n=sizes, seed=seeds)
def test_eigh_matches_numpy_up_to_the_sign_of_each_eigenvector(batch, n, seed):
    a = separated_spectrum(np.random.default_rng(seed), batch, n)
    w, v = la.eigh(a)
    w_np, v_np = np.linalg.eigh(a)
    np.testing.assert_allclose(w.numpy(), w_np, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(la.eigvalsh(a).numpy(), np.linalg.eigvalsh(a), rtol=1e-10, atol=1e-12)
    v = v.numpy()
    np.testing.assert_allclose(np.abs(np.sum(v * v_np, axis=-2)), 1, rtol=1e-10)   # same vectors, up to sign
    # The documented sign rule: each eigenvector's largest-magnitude entry is positive.
    largest = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
    assert np.all(largest > 0)
    np.testing.assert_allclose((v * w.numpy()[..., None, :]) @ np.swapaxes(v, -1, -2), a, atol=1e-10)


VECTOR_ORDS = [None, 1, 2, 3, 1.5, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=seeds, keepdims=st.booleans(),
       ord=st.sampled_from(VECTOR_ORDS), data=st.data())
def test_vector_norms_match_numpy(shape, seed, keepdims, ord, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_allclose(la.norm(x, ord, axis, keepdims).numpy(), np.linalg.norm(x, ord, axis, keepdims),
                               rtol=1e-12)


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple), seed=seeds, keepdims=st.booleans(),
       ord=st.sampled_from(MATRIX_ORDS), data=st.data())
def test_matrix_norms_match_numpy(shape, seed, keepdims, ord, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    axis = tuple(data.draw(st.permutations(range(len(shape))))[:2])
    np.testing.assert_allclose(la.norm(x, ord, axis, keepdims).numpy(), np.linalg.norm(x, ord, axis, keepdims),
                               rtol=1e-12)


@pytest.mark.parametrize("ord", [None, 1, np.inf, 2])
def test_norm_without_axis_matches_numpy(ord):
    x = np.random.default_rng(0).standard_normal((3, 4))
    for value in (x, x[0]):
        if ord == 2 and value.ndim == 2:
            continue   # the spectral norm is not implemented (tested in test_linalg_errors)
        np.testing.assert_allclose(la.norm(value, ord).numpy(), np.linalg.norm(value, ord), rtol=1e-12)
        np.testing.assert_allclose(la.norm(value, ord, keepdims=True).numpy(),
                                   np.linalg.norm(value, ord, keepdims=True), rtol=1e-12)
    cube = np.random.default_rng(1).standard_normal((2, 3, 4))
    np.testing.assert_allclose(la.norm(cube).numpy(), np.linalg.norm(cube), rtol=1e-12)


def test_integer_input_is_computed_in_the_default_float_dtype():
    d = la.det(np.array([[2, 0], [0, 3]]))
    assert d.dtype == tg.get_default_dtype() and d.item() == pytest.approx(6.0)


# ---- float32 against float64 ----------------------------------------------------------------------

def _float32_cases(rng):
    a, s, sym = general(rng, (2,), 3), spd(rng, (2,), 3), separated_spectrum(rng, (2,), 3)
    b = rng.standard_normal((2, 3, 2))
    return {
        "det": (la.det, [a]),
        "slogdet": (lambda m: la.slogdet(m).logabsdet, [a]),
        "inv": (la.inv, [a]),
        "solve": (la.solve, [a, b]),
        "solve_triangular": (lambda m, r: la.solve_triangular(m, r, lower=True, trans=1), [a, b]),
        "cholesky": (la.cholesky, [s]),
        "eigh": (lambda m: la.eigh(m).eigenvectors, [sym]),
        "eigvalsh": (la.eigvalsh, [sym]),
        "norm": (lambda m: la.norm(m, axis=(-2, -1)), [a]),
    }


@pytest.mark.parametrize("name", list(_float32_cases(np.random.default_rng(0))))
def test_float32_agrees_with_float64_and_stays_float32(name):
    fn, arrays = _float32_cases(np.random.default_rng(7))[name]
    weights = np.random.default_rng(8).standard_normal(fn(*arrays).shape)
    results = {}
    for dtype in (np.float32, np.float64):
        inputs = [tg.Tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
        out = fn(*inputs)
        (out * weights.astype(dtype)).sum().backward()
        assert out.dtype == dtype and all(t.grad.dtype == dtype for t in inputs)
        results[dtype] = [out.numpy()] + [t.grad.numpy() for t in inputs]
    for single, double in zip(results[np.float32], results[np.float64]):
        np.testing.assert_allclose(single, double, rtol=2e-4, atol=2e-4 * np.max(np.abs(double)))
