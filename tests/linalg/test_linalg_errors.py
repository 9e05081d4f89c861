"""Bad inputs give clear errors (the operation, the shape, the batch index); singular matrices in
slogdet and repeated eigenvalues in eigh behave as documented in docs/linalg.md."""
import re
import warnings

import numpy as np
import pytest

import tinygrad_udl as tg
import tinygrad_udl.linalg as la
from tinygrad_udl import ShapeError

from linalg_testing import spd

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
BATCH_WITH_SINGULAR = np.stack([np.eye(2), 2 * np.eye(2), SINGULAR])   # matrix (2,) is singular


def test_linalg_error_is_a_value_error_and_numpys_linalg_error():
    assert issubclass(la.LinAlgError, ValueError) and issubclass(la.LinAlgError, np.linalg.LinAlgError)


@pytest.mark.parametrize("fn", [la.det, la.slogdet, la.inv, la.cholesky, la.eigh, la.eigvalsh,
                                lambda a: la.solve(a, np.ones(3)), lambda a: la.solve_triangular(a, np.ones(3))],
                         ids=["det", "slogdet", "inv", "cholesky", "eigh", "eigvalsh", "solve", "solve_triangular"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 3, 2)])
def test_non_square_input(fn, shape):
    with pytest.raises(la.LinAlgError, match=re.escape("needs square matrices") + ".*" + re.escape(str(shape))):
        fn(np.ones(shape))


@pytest.mark.parametrize("fn, op", [(la.inv, "inv"), (lambda a: la.solve(a, np.ones(2)), "solve")])
def test_singular_matrix_names_the_operation_and_the_batch_index(fn, op):
    with pytest.raises(la.LinAlgError, match=re.escape(f"{op}: the matrix (input shape (2, 2)) is singular")):
        fn(SINGULAR)
    batched = f"{op}: matrix (2,) of the batch (input shape (3, 2, 2)) is singular"
    with pytest.raises(la.LinAlgError, match=re.escape(batched)):
        fn(BATCH_WITH_SINGULAR)


def test_singular_triangular_matrix_names_the_zero_diagonal_entry():
    a = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0])])
    message = "matrix (1,) of the batch (input shape (2, 3, 3)) is singular: diagonal entry 1 is 0"
    with pytest.raises(la.LinAlgError, match=re.escape(message)):
        la.solve_triangular(a, np.ones(3))
    # With a unit diagonal the stored diagonal is not read, so the same matrix is fine.
    np.testing.assert_allclose(la.solve_triangular(a, np.ones(3), unit_diagonal=True).numpy()[1], [1.0, 1.0, 1.0])


def test_solve_triangular_rejects_an_unknown_trans():
    with pytest.raises(ValueError, match="trans must be 0, 1, 2, 'N', 'T' or 'C', got 'X'"):
        la.solve_triangular(np.eye(2), np.ones(2), trans="X")


@pytest.mark.parametrize("b_shape, message", [
    ((3,), "b of shape (3,) does not fit a of shape (2, 2)"),
    ((3, 1), "b of shape (3, 1) does not fit a of shape (2, 2)"),
    ((), "b of shape () does not fit"),
])
@pytest.mark.parametrize("solver", [la.solve, la.solve_triangular])
def test_right_hand_side_that_does_not_fit(solver, b_shape, message):
    with pytest.raises(ShapeError, match=re.escape(message)):
        solver(np.eye(2), np.ones(b_shape))


def test_batch_axes_that_do_not_broadcast():
    with pytest.raises(ShapeError, match=re.escape("the batch axes of a (3, 2, 2) and b (4, 2, 1) do not broadcast")):
        la.solve(np.stack([np.eye(2)] * 3), np.ones((4, 2, 1)))


@pytest.mark.parametrize("fn", [la.cholesky, la.eigh, la.eigvalsh], ids=["cholesky", "eigh", "eigvalsh"])
def test_non_symmetric_input_is_rejected_with_the_tolerance(fn):
    a = np.stack([np.eye(2), np.array([[2.0, 1.0], [0.0, 2.0]])])
    name = "eigh" if fn is la.eigvalsh else fn.__name__
    with pytest.raises(la.LinAlgError, match=re.escape(f"{name}: matrix (1,) of the batch (input shape (2, 2, 2)) is "
                                                       "not symmetric: max |A − Aᵀ| = 1")):
        fn(a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_asymmetry_within_rounding_is_accepted(dtype):
    a = spd(np.random.default_rng(0), (), 3).astype(dtype)
    a[0, 1] *= 1 + 10 * np.finfo(dtype).eps   # a few ulps: rounding, not a different matrix
    L = la.cholesky(a).numpy()
    np.testing.assert_allclose(L @ L.T, (a + a.T) / 2, rtol=10 * np.finfo(dtype).eps ** 0.5)


def test_not_positive_definite_names_the_matrix_and_its_smallest_eigenvalue():
    a = np.stack([np.eye(2), np.array([[1.0, 2.0], [2.0, 1.0]])])   # eigenvalues -1 and 3
    with pytest.raises(la.LinAlgError, match=re.escape("cholesky: matrix (1,) of the batch (input shape (2, 2, 2)) is "
                                                       "not positive definite (smallest eigenvalue -1)")):
        la.cholesky(a)
    with pytest.raises(la.LinAlgError,
                       match=re.escape("cholesky: the matrix (input shape (2, 2)) is not positive definite")):
        la.cholesky(np.zeros((2, 2)))   # semi-definite is not enough


@pytest.mark.parametrize("ord, axis, error, message", [
    (2, None, NotImplementedError, "ord=2 of a matrix needs singular values"),
    ("nuc", (0, 1), NotImplementedError, "ord='nuc' of a matrix needs singular values"),
    (3, (0, 1), ValueError, "invalid ord 3 for a matrix"),
    ("fro", 0, ValueError, "ord='fro' is a matrix norm"),
    (0.5, 0, NotImplementedError, "ord=0.5 of a vector is not supported"),
    (0, 0, NotImplementedError, "ord=0 of a vector is not supported"),
    (None, (0, 0), ShapeError, "two different axes"),
    (None, 2, ShapeError, "axis 2 is out of range"),
])
def test_unsupported_or_invalid_norms(ord, axis, error, message):
    with pytest.raises(error, match=re.escape(message)):
        la.norm(np.ones((2, 3)), ord, axis)


def test_norm_ord_without_axis_needs_a_vector_or_a_matrix():
    message = "norm: ord=1 without axis needs a vector or a matrix, got shape (2, 2, 2)"
    with pytest.raises(ShapeError, match=re.escape(message)):
        la.norm(np.ones((2, 2, 2)), 1)


# ---- singular matrices in slogdet and det -----------------------------------------------------------


def test_slogdet_of_a_singular_matrix_is_sign_zero_and_minus_inf_never_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no divide-by-zero or invalid-value warnings either
        sign, logabsdet = la.slogdet(BATCH_WITH_SINGULAR)
        det = la.det(BATCH_WITH_SINGULAR)
    np.testing.assert_array_equal(sign.numpy(), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(logabsdet.numpy(), [0.0, np.log(4.0), -np.inf])
    np.testing.assert_allclose(det.numpy(), [1.0, 4.0, 0.0])
    expected = np.linalg.slogdet(BATCH_WITH_SINGULAR)
    np.testing.assert_array_equal(sign.numpy(), expected[0])
    np.testing.assert_array_equal(logabsdet.numpy(), expected[1])


@pytest.mark.parametrize("fn", [lambda a: la.slogdet(a).logabsdet, la.det], ids=["slogdet", "det"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_gradient_at_a_singular_matrix_raises(fn, create_graph):
    """log|det| has no derivative there, and the gradient formula of det needs A⁻¹: backward raises
    (the inverse's error) instead of returning inf or NaN."""
    a = tg.Tensor(SINGULAR, requires_grad=True)
    with pytest.raises(ValueError, match="[Ss]ingular matrix"):
        tg.grad(fn(a), [a], create_graph=create_graph)


# ---- repeated eigenvalues -------------------------------------------------------------------------

TIED = np.diag([1.0, 1.0, 3.0])   # eigenvalue 1 twice


def test_eigenvalue_gradients_are_finite_at_a_repeated_eigenvalue():
    # Σλ = tr A: gradient I whatever basis of the tied eigenspace LAPACK picked.
    np.testing.assert_allclose(tg.grad(lambda a: la.eigvalsh(a).sum())(TIED).numpy(), np.eye(3), atol=1e-15)
    np.testing.assert_allclose(tg.grad(lambda a: la.eigh(a).eigenvalues[2])(TIED).numpy(), np.diag([0.0, 0.0, 1.0]),
                               atol=1e-15)


def test_eigenvector_gradient_at_a_repeated_eigenvalue_raises():
    a = tg.Tensor(np.stack([np.diag([1.0, 2.0, 3.0]), TIED]), requires_grad=True)
    _, v = la.eigh(a)
    with pytest.raises(la.RepeatedEigenvalueError,
                       match=re.escape("eigh backward: eigenvalues 0 and 1 of matrix (1,) of the batch are equal (1)")):
        (v * np.arange(9.0).reshape(3, 3)).sum().backward()


def test_eigenvector_gradient_raises_under_create_graph_too():
    # The second derivative of an eigenvalue goes through the eigenvectors: it has 1/(λj − λi).
    with pytest.raises(la.RepeatedEigenvalueError, match="equal"):
        tg.hessian(lambda a: la.eigvalsh(a)[0])(TIED)
    assert issubclass(la.RepeatedEigenvalueError, ZeroDivisionError)


def test_eigenvector_gradient_is_finite_when_the_tie_is_not_used():
    # The loss uses only the eigenvector of the simple eigenvalue 3 (e₃ up to sign): the tied
    # eigenvectors enter through Vᵀ V̄ only where it is 0, so the gradient exists and is finite.
    grad = tg.grad(lambda a: la.eigh(a).eigenvectors[:, 2].sum())(TIED).numpy()
    assert np.all(np.isfinite(grad))


def test_near_tie_gives_large_but_correct_gradients():
    a = np.diag([1.0, 1.0 + 1e-4, 3.0])
    a[0, 1] = a[1, 0] = 1e-5
    grad = tg.grad(lambda m: la.eigh(m).eigenvectors[0, 0])(a).numpy()
    h = 1e-9
    e = np.zeros((3, 3))
    e[0, 1] = e[1, 0] = 1.0
    change = (la.eigh(a + h * e).eigenvectors[0, 0].item() - la.eigh(a - h * e).eigenvectors[0, 0].item()) / (2 * h)
    assert abs(np.sum(grad * e)) > 100
    assert np.sum(grad * e) == pytest.approx(change, rel=1e-4)
