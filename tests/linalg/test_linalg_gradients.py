"""Gradients against central finite differences in float64, first and second order (gradients of
gradients against finite differences of the engine's first derivative), on batched shapes that
Hypothesis draws; and the op sweep of the primitives declared in linalg.py."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
import tinygrad_udl.linalg as la
from tinygrad_udl.gradcheck import check_primitives

from linalg_testing import (assert_gradients_match_fd, batch_shapes, general, seeds, separated_spectrum, spd,
                            symmetrised)

LINALG_PRIMITIVES = ["solve_triangular", "cholesky", "inv", "solve", "det", "slogdet", "eigh", "eigh_gap_scale",
                     "vector_norm"]
small_sizes = st.integers(1, 3)


def test_op_sweep_checks_every_linalg_primitive_to_second_order():
    results = check_primitives(LINALG_PRIMITIVES, order=2)
    assert [(r.name, r.status) for r in results] == [(name, "ok") for name in LINALG_PRIMITIVES]


@settings(max_examples=8)
@given(batch=batch_shapes, n=small_sizes, seed=seeds)
def test_determinants_and_inverse(batch, n, seed):
    a = general(np.random.default_rng(seed), batch, n)
    for fn in (la.det, lambda m: la.slogdet(m).logabsdet, la.inv):
        assert_gradients_match_fd(fn, [a], seed=seed)


@settings(max_examples=8)
@given(batch=batch_shapes, n=small_sizes, seed=seeds, vector=st.booleans(), broadcast=st.booleans())
def test_solve_in_both_operands(batch, n, seed, vector, broadcast):
    rng = np.random.default_rng(seed)
    a = general(rng, batch, n)
    b = rng.standard_normal((n,) if vector else ((2,) + (1,) * len(batch) if broadcast else batch) + (n, 2))
    assert_gradients_match_fd(la.solve, [a, b], seed=seed)


@settings(max_examples=10)
@given(batch=batch_shapes, n=small_sizes, seed=seeds, lower=st.booleans(), trans=st.sampled_from([0, 1]),
       unit_diagonal=st.booleans(), vector=st.booleans())
def test_solve_triangular_in_both_operands(batch, n, seed, lower, trans, unit_diagonal, vector):
    rng = np.random.default_rng(seed)
    a = general(rng, batch, n)
    b = rng.standard_normal((n,) if vector else batch + (n, 2))
    fn = lambda m, r: la.solve_triangular(m, r, lower=lower, trans=trans, unit_diagonal=unit_diagonal)  # noqa: E731
    assert_gradients_match_fd(fn, [a, b], seed=seed)


def test_solve_triangular_ignores_the_other_triangle():
    a = tg.Tensor(general(np.random.default_rng(0), (), 3), requires_grad=True)
    la.solve_triangular(a, np.ones(3), lower=True, unit_diagonal=True).sum().backward()
    assert np.all(np.triu(a.grad.numpy()) == 0)   # the diagonal and upper triangle were never read


@settings(max_examples=8)
@given(batch=batch_shapes, n=small_sizes, seed=seeds)
def test_cholesky(batch, n, seed):
    assert_gradients_match_fd(symmetrised(la.cholesky), [spd(np.random.default_rng(seed), batch, n)], seed=seed)


@settings(max_examples=8)
@given(batch=batch_shapes, n=small_sizes, seed=seeds)
def test_eigh_eigenvalues_and_eigenvectors(batch, n, seed):
    a = separated_spectrum(np.random.default_rng(seed), batch, n)
    assert_gradients_match_fd(symmetrised(lambda m: la.eigh(m).eigenvectors), [a], seed=seed)
    assert_gradients_match_fd(symmetrised(la.eigvalsh), [a], seed=seed)


@pytest.mark.parametrize("fn", [la.cholesky, la.eigvalsh, lambda m: la.eigh(m).eigenvectors],
                         ids=["cholesky", "eigvalsh", "eigenvectors"])
def test_symmetric_input_gradients_are_symmetric_directional_derivatives(fn):
    """Called directly on a symmetric A (no symmetrising wrapper), the gradient is symmetric and
    gives the derivative along any symmetric direction E: <Ā, E> = d/dt f(A + tE)."""
    rng = np.random.default_rng(3)
    a, e = separated_spectrum(rng, (2,), 3) + 4 * np.eye(3), rng.standard_normal((2, 3, 3))
    e = e + np.swapaxes(e, -1, -2)
    weights = rng.standard_normal(fn(a).shape)
    grad = tg.grad(lambda t: (fn(t) * weights).sum())(a).numpy()
    np.testing.assert_array_equal(grad, np.swapaxes(grad, -1, -2))
    h = 1e-6
    change = (np.sum(fn(a + h * e).numpy() * weights) - np.sum(fn(a - h * e).numpy() * weights)) / (2 * h)
    assert np.sum(grad * e) == pytest.approx(change, rel=1e-6)


@pytest.mark.parametrize("ord", [None, 1, 2, 3, 1.5, np.inf, -np.inf])
def test_vector_norms(ord):
    x = np.random.default_rng(4).standard_normal((3, 4))
    assert_gradients_match_fd(lambda t: la.norm(t, ord, axis=1), [x], second_order=ord not in (1, np.inf, -np.inf))


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, np.inf, -np.inf])
def test_matrix_norms(ord):
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    # ±1 and ±inf are piecewise linear: their second derivative is 0 away from ties, nothing to check.
    assert_gradients_match_fd(lambda t: la.norm(t, ord, axis=(1, 2), keepdims=True), [x],
                              second_order=ord in (None, "fro"))


def test_norm_gradient_at_zero_is_zero_not_nan():
    zero = np.zeros((2, 3))
    assert np.all(tg.grad(lambda t: la.norm(t, axis=1).sum())(zero).numpy() == 0)
    assert np.all(tg.grad(lambda t: la.norm(t, 3).sum())(zero[0]).numpy() == 0)
    second = tg.grad(lambda t: tg.grad(lambda s: la.norm(s))(t).sum())(zero)
    assert np.all(second.numpy() == 0)


def test_a_gaussian_log_density_through_cholesky_and_solve_triangular():
    """The use the module is for: log N(x; µ, Σ) with Σ = L Lᵀ (chapters 5 and 17), differentiable
    twice in Σ, against the closed form with inv and slogdet."""
    rng = np.random.default_rng(6)
    sigma, x = spd(rng, (), 3), rng.standard_normal(3)

    def log_density(s):
        L = la.cholesky(s)
        z = la.solve_triangular(L, x, lower=True)                    # L⁻¹ x
        log_det = 2 * L[np.arange(3), np.arange(3)].log().sum()       # log det Σ = 2 Σ log L_ii
        return -0.5 * ((z * z).sum() + log_det + 3 * np.log(2 * np.pi))

    @symmetrised   # cholesky reads (Σ + Σᵀ)/2, so compare with the same function of the full matrix
    def closed_form(s):
        return -0.5 * (x @ la.inv(s) @ x + la.slogdet(s).logabsdet + 3 * np.log(2 * np.pi))

    np.testing.assert_allclose(log_density(tg.Tensor(sigma)).item(), closed_form(tg.Tensor(sigma)).item())
    np.testing.assert_allclose(tg.grad(log_density)(sigma).numpy(), tg.grad(closed_form)(sigma).numpy(), atol=1e-12)
    np.testing.assert_allclose(tg.hessian(log_density)(sigma).numpy(), tg.hessian(closed_form)(sigma).numpy(),
                               atol=1e-10)
