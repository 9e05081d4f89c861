"""Linear algebra with gradients: numpy.linalg's names and semantics (and scipy.linalg's
`solve_triangular`), batched over leading axes, every function differentiable to any order.

    det(a)   slogdet(a) -> (sign, logabsdet)   inv(a)   solve(a, b)   solve_triangular(a, b, lower=...)
    cholesky(a)   eigh(a) -> (eigenvalues, eigenvectors)   eigvalsh(a)   norm(x, ord, axis, keepdims)

Where the book needs them: a normalizing flow's log-likelihood adds log |det| of each layer's
Jacobian (chapter 16; a linear flow's is `slogdet(Ω)`, section 16.3.1), and a Gaussian with a full
covariance Σ = L Lᵀ is evaluated by `cholesky` and a `solve_triangular` (its log-density needs
(x − µ)ᵀ Σ⁻¹ (x − µ) and log det Σ = 2 Σᵢ log Lᵢᵢ; the VAE of chapter 17 draws from it as µ + L ε).

Each primitive is declared once below: a forward pass on numpy arrays and one VJP per input,
written against the maths namespace `o` so that the same line runs in backward() and, under
create_graph=True, records nodes (rules.py). The VJPs call other primitives by name
(`o.solve_triangular`, `o.inv`, ...), which is what makes second derivatives work. Derivations:
M. Giles, "An extended collection of matrix derivative results for forward and reverse mode
automatic differentiation" (2008), and I. Murray, "Differentiation of the Cholesky
decomposition" (2016). docs/linalg.md has the table of formulas.

Conventions:
- Inputs are real floating-point arrays; integer data is converted to the default float dtype
  (numpy.linalg also computes in floats). float32 stays float32.
- Symmetric inputs (`cholesky`, `eigh`, `eigvalsh`): the forward pass reads (A + Aᵀ)/2, so the
  function is defined on every square matrix, agrees with numpy on symmetric ones, and its
  gradient is symmetric (finite differences on any entry agree with it). The user-facing functions
  reject matrices that are not symmetric up to rounding: √eps(dtype) · max |A|.
- Errors name the operation, the input shape and the batch index: `LinAlgError` (a subclass of
  numpy's, so `except np.linalg.LinAlgError` catches it too) for non-square, singular,
  non-symmetric and non-positive-definite matrices, `ShapeError` for operands that do not fit.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .autograd.rules import primitive
from .autograd.samples import away_from_zero, inputs, normal, spd, well_conditioned
from .autograd.tensor import ShapeError, Tensor, _axis, apply, get_default_dtype, tensor

__all__ = ["LinAlgError", "RepeatedEigenvalueError", "EighResult", "SlogdetResult", "det", "slogdet", "inv",
           "solve", "solve_triangular", "cholesky", "eigh", "eigvalsh", "norm"]


class LinAlgError(np.linalg.LinAlgError):
    """A matrix that an operation cannot take (non-square, singular, not symmetric, not positive
    definite). A ValueError, and numpy's LinAlgError, as numpy raises for the same inputs."""


class RepeatedEigenvalueError(ZeroDivisionError):
    """The gradient through eigenvectors at a repeated eigenvalue: it has 1/(λj − λi) with λi = λj.

    Not a ValueError on purpose: the engine reports a ValueError from a forward pass as a
    ShapeError, and this one is raised in a backward pass, by the primitive `eigh_gap_scale`."""


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


# ---- helpers shared by forward passes and VJPs (they run on arrays and on nodes alike) -------------


def _mT(o, x):
    """The transpose of every matrix of a stack."""
    return o.swapaxes(x, -1, -2)


def _symmetric_part(o, x):
    """(X + Xᵀ)/2: what the symmetric-input operations read, and how their gradients are made symmetric."""
    return (x + _mT(o, x)) * 0.5


def _eye(x):
    """The identity of x's matrix size and dtype (a constant)."""
    return np.eye(x.shape[-1], dtype=x.dtype)


def _matrix_solve(a, b):
    """np.linalg.solve with b always read as a stack of matrices (..., M, K): numpy < 2 reads a b with
    one axis fewer than a as a stack of vectors, so b gets leading axes of size 1 first."""
    return np.linalg.solve(a, b.reshape((1,) * (a.ndim - b.ndim) + b.shape))


# ---- triangular solves ----------------------------------------------------------------------------


def _triangle(o, x, lower, unit_diagonal):
    """The triangle of x that a triangular solve reads: strictly below/above the diagonal when the
    unit diagonal is implied (then the stored diagonal is never used)."""
    if lower:
        return o.tril(x, -1 if unit_diagonal else 0)
    return o.triu(x, 1 if unit_diagonal else 0)


def _solve_triangular(o, a, b, lower=False, trans=0, unit_diagonal=False):
    """op(T) x = b for the triangle T of a, op(T) = T or Tᵀ (scipy's `trans` 0 or 1).

    np.linalg.solve on the triangle rather than scipy.linalg.solve_triangular: numpy batches and
    broadcasts over leading axes in one call (scipy < 1.15 does not batch at all). Its LU
    factorisation costs O(n³) where a substitution is O(n²): immaterial at the book's sizes."""
    t = _triangle(o, a, lower, unit_diagonal)
    if unit_diagonal:
        t = t + _eye(a)
    return _matrix_solve(_mT(o, t) if trans else t, b)


def _triangular_b_bar(o, g, a, lower, trans, unit_diagonal):
    """b̄ = op(T)⁻ᵀ ḡ: the same triangle, solved transposed the other way (Giles 2008, matrix inverse product)."""
    return o.solve_triangular(a, g, lower=lower, trans=1 - trans, unit_diagonal=unit_diagonal)


def _solve_triangular_vjp_a(o, g, out, a, b, lower=False, trans=0, unit_diagonal=False):
    # d op(T) gets −b̄ xᵀ (as for solve); for op(T) = Tᵀ that is transposed. Only the triangle the
    # forward pass read has a gradient: the rest of `a` is ignored, as scipy ignores it.
    b_bar = _triangular_b_bar(o, g, a, lower, trans, unit_diagonal)
    outer = o.matmul(out, _mT(o, b_bar)) if trans else o.matmul(b_bar, _mT(o, out))
    return o.unbroadcast(-_triangle(o, outer, lower, unit_diagonal), a)


def _solve_triangular_vjp_b(o, g, out, a, b, lower=False, trans=0, unit_diagonal=False):
    return o.unbroadcast(_triangular_b_bar(o, g, a, lower, trans, unit_diagonal), b)


SOLVE_TRIANGULAR = primitive("solve_triangular", _solve_triangular, _solve_triangular_vjp_a, _solve_triangular_vjp_b,
                             sample=inputs(well_conditioned(2, 3, 3), normal(2, 3, 2), lower=True, trans=1,
                                           unit_diagonal=False))

# ---- Cholesky -------------------------------------------------------------------------------------


def _phi(o, x):
    """Φ(X): the lower triangle of X with its diagonal halved (Murray 2016, §3)."""
    return o.tril(x) - x * (0.5 * _eye(x))


def _cholesky_vjp(o, g, out, a):
    # Murray (2016), §3: with P = L⁻¹ dA L⁻ᵀ, dL = L Φ(P), so Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ -- two
    # triangular solves, which are primitives, so this is differentiable again. Symmetrised because
    # the forward pass reads (A + Aᵀ)/2 (Murray's Φ of the result is the lower-triangle convention).
    left = o.solve_triangular(out, _phi(o, o.matmul(_mT(o, out), g)), lower=True, trans=1)   # L⁻ᵀ Φ
    right = _mT(o, o.solve_triangular(out, _mT(o, left), lower=True, trans=1))               # (L⁻ᵀ leftᵀ)ᵀ = left L⁻¹
    return _symmetric_part(o, right)


CHOLESKY = primitive("cholesky", lambda o, a: np.linalg.cholesky(_symmetric_part(o, a)), _cholesky_vjp,
                     sample=inputs(spd(2, 3, 3)))

# ---- inverse, solve, determinants -----------------------------------------------------------------

# d(A⁻¹) = −A⁻¹ dA A⁻¹, so Ā = −A⁻ᵀ ḡ A⁻ᵀ (Giles 2008, inverse), written with the output A⁻¹.
INV = primitive("inv", lambda o, a: np.linalg.inv(a),
                lambda o, g, out, a: -o.matmul(o.matmul(_mT(o, out), g), _mT(o, out)),
                sample=inputs(well_conditioned(2, 3, 3)))


def _solve_b_bar(o, g, a):
    """b̄ = A⁻ᵀ ḡ (Giles 2008, matrix inverse product): one more solve, with Aᵀ."""
    return o.solve(_mT(o, a), g)


# x = A⁻¹ b: b̄ = A⁻ᵀ ḡ and Ā = −b̄ xᵀ. Batch axes broadcast (numpy's rules); the gradients are
# summed back to each operand's shape.
SOLVE = primitive("solve", lambda o, a, b: _matrix_solve(a, b),
                  lambda o, g, out, a, b: o.unbroadcast(-o.matmul(_solve_b_bar(o, g, a), _mT(o, out)), a),
                  lambda o, g, out, a, b: o.unbroadcast(_solve_b_bar(o, g, a), b),
                  sample=inputs(well_conditioned(2, 3, 3), normal(3, 2)))   # b broadcast over the batch


def _scaled_inverse_transpose(o, scale, a):
    """scale · A⁻ᵀ for each matrix: d log|det A| = tr(A⁻¹ dA) (Giles 2008, determinant), so the gradient
    of log|det A| is ḡ A⁻ᵀ and that of det A = ± e^(log|det A|) is ḡ det(A) A⁻ᵀ."""
    return o.reshape(scale, scale.shape + (1, 1)) * _mT(o, o.inv(a))


DET = primitive("det", lambda o, a: np.linalg.det(a),
                lambda o, g, out, a: _scaled_inverse_transpose(o, g * out, a),
                sample=inputs(well_conditioned(2, 3, 3)))
# slogdet's two results packed in one array (..., 2): [..., 0] the sign, [..., 1] log|det A|. The
# sign is piecewise constant (no gradient); `slogdet` hands it out as a constant.
SLOGDET = primitive("slogdet", lambda o, a: np.stack(np.linalg.slogdet(a), axis=-1),
                    lambda o, g, out, a: _scaled_inverse_transpose(o, g[..., 1], a),
                    sample=inputs(well_conditioned(2, 3, 3)))

# ---- symmetric eigendecomposition -----------------------------------------------------------------


def _eigh(o, a):
    """Eigenvalues (ascending) and eigenvectors of (A + Aᵀ)/2, packed in one array (..., n + 1, n):
    row 0 the eigenvalues, rows 1.. the matrix V whose columns are the eigenvectors.

    Each eigenvector is signed so that its largest-magnitude entry is positive: LAPACK's sign is
    arbitrary, and a fixed rule makes the eigenvectors (and gradients through them) reproducible."""
    w, v = np.linalg.eigh(_symmetric_part(o, a))
    largest = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2, keepdims=True), axis=-2)
    return np.concatenate([w[..., None, :], v * np.sign(largest)], axis=-2)


def _unpack_eigh(packed):
    """(eigenvalues, eigenvectors) from eigh's packed array or its gradient (indexing records getitem)."""
    return packed[..., 0, :], packed[..., 1:, :]


def _eigh_vjp(o, g, out, a):
    # Giles (2008), eigenvalues and eigenvectors: with A = V diag(w) Vᵀ, dw = diag(Vᵀ dA V) and dV = V (F ∘ (Vᵀ dA V)),
    # F_ij = 1/(w_j − w_i) (0 on the diagonal); so Ā = V (diag(w̄) + F ∘ (Vᵀ V̄)) Vᵀ, symmetrised
    # because the forward pass reads (A + Aᵀ)/2. F ∘ . is the primitive eigh_gap_scale, which
    # raises at a repeated eigenvalue that the loss depends on through the eigenvectors.
    w, v = _unpack_eigh(out)
    w_bar, v_bar = _unpack_eigh(g)
    diagonal = o.reshape(w_bar, w_bar.shape[:-1] + (1, w_bar.shape[-1])) * _eye(a)
    inner = diagonal + o.eigh_gap_scale(w, o.matmul(_mT(o, v), v_bar))
    return _symmetric_part(o, o.matmul(o.matmul(v, inner), _mT(o, v)))


def _gap_scale(o, w, x):
    """F ∘ X with F_ij = 1/(w_j − w_i) off the diagonal and 0 on it. Where w_i = w_j (i ≠ j) the
    factor is infinite: the entry is 0 if X_ij = 0 (the loss does not depend on how the tied
    eigenvectors are chosen: e.g. it uses eigenvalues only), else RepeatedEigenvalueError."""
    gaps = w[..., None, :] - w[..., :, None]                     # gaps[..., i, j] = w_j − w_i
    tied = gaps == 0
    undefined = np.argwhere(tied & (x != 0) & ~np.eye(w.shape[-1], dtype=bool))
    if len(undefined):
        *batch, i, j = (int(k) for k in undefined[0])
        i, j = min(i, j), max(i, j)
        where = f"matrix {tuple(batch)} of the batch" if batch else "the matrix"
        raise RepeatedEigenvalueError(
            f"eigh backward: eigenvalues {i} and {j} of {where} are equal ({w[tuple(batch) + (i,)]:.6g}) and the "
            "loss depends on the eigenvectors, whose gradient has 1/(λj − λi): it does not exist at a repeated "
            "eigenvalue (any rotation of the tied eigenvectors is as good). First derivatives of eigenvalues alone "
            "are fine (eigvalsh), second derivatives of eigenvalues have 1/(λj − λi) too. Move the eigenvalues "
            "apart (e.g. add a small random symmetric perturbation).")
    return np.where(tied, 0, x / np.where(tied, 1, gaps))


def _gap_scale_vjp_w(o, g, out, w, x):
    # out_ij = x_ij / (w_j − w_i): ∂out_ij/∂w_j = −out_ij F_ij and ∂out_ij/∂w_i = +out_ij F_ij, so with
    # H = ḡ ∘ F ∘ out, w̄_k = Σ_j H_kj − Σ_i H_ik.
    h = g * o.eigh_gap_scale(w, out)
    return o.sum(h, axis=-1) - o.sum(h, axis=-2)


def _separated(*shape):
    """Ascending values about 1 apart along the last axis: eigenvalues with no near-tie."""
    return lambda rng: np.sort(np.arange(shape[-1]) + rng.uniform(-0.3, 0.3, shape), axis=-1)


def _separated_spectrum(*shape):
    """Symmetric matrices Q diag(w) Qᵀ with random orthogonal Q and eigenvalues w about 1 apart."""
    def make(rng):
        q, _ = np.linalg.qr(rng.standard_normal(shape))
        return (q * _separated(*shape[:-1])(rng)[..., None, :]) @ np.swapaxes(q, -1, -2)
    return make


EIGH = primitive("eigh", _eigh, _eigh_vjp, sample=inputs(_separated_spectrum(2, 3, 3)))
EIGH_GAP_SCALE = primitive("eigh_gap_scale", _gap_scale, _gap_scale_vjp_w,
                           lambda o, g, out, w, x: o.eigh_gap_scale(w, g),       # linear in x
                           sample=inputs(_separated(2, 4), normal(2, 4, 4)))

# ---- vector p-norms -------------------------------------------------------------------------------


def _p_norm(o, x, p, axis, keepdims):
    # numpy's own formula; for p = 2 numpy's power computes |x|² as a square and ^(1/2) as a sqrt.
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


def _p_norm_vjp(o, g, out, x, p, axis, keepdims):
    # ∂‖x‖_p/∂x_i = sign(x_i) (|x_i| / ‖x‖_p)^(p−1) (x_i / ‖x‖ for p = 2); the ratio cannot overflow.
    # At x = 0 the gradient is taken as 0 (a subgradient, as |x|'(0) = 0 in rules.py): the norm is
    # replaced by 1 before the division, so this pass never computes 0/0, nor does its derivative
    # for p = 1 or p >= 2. (For 1 < p < 2, |x|^p has infinite curvature at 0: the second derivative
    # at an exactly zero entry does not exist and comes out NaN.)
    norm = o.expand_to(out, x, axis, keepdims)
    safe = o.where(norm > 0, norm, 1)
    return o.expand_to(g, x, axis, keepdims) * o.sign(x) * o.pow(abs(x) / safe, p - 1)


VECTOR_NORM = primitive("vector_norm", _p_norm, _p_norm_vjp,
                        sample=inputs(away_from_zero(3, 4), p=3, axis=(1,), keepdims=False))

# ---- argument checks ------------------------------------------------------------------------------


def _floating(x):
    """x as a Tensor of floats: integer and boolean data take the default float dtype."""
    x = tensor(x)
    return x if x.dtype.kind == "f" else Tensor._wrap(x.data.astype(get_default_dtype()))


def _square(op, a):
    a = _floating(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise LinAlgError(f"{op}: needs square matrices, stacked over leading axes (shape (..., n, n)); got an input "
                          f"of shape {a.shape}")
    return a


def _first(bad):
    """The batch index of the first matrix flagged in `bad` (() for a single matrix), or None."""
    hits = np.argwhere(bad)
    return tuple(int(i) for i in hits[0]) if len(hits) else None


def _which(index, a):
    matrix = "the matrix" if index == () else f"matrix {index} of the batch"
    return f"{matrix} (input shape {a.shape})"


def _require_invertible(op, a):
    """A LinAlgError for the first exactly singular matrix (a zero pivot of the LU factorisation,
    where numpy's inv and solve fail too; numpy's error names no batch index)."""
    index = _first(np.linalg.slogdet(a.data)[0] == 0)
    if index is not None:
        raise LinAlgError(f"{op}: {_which(index, a)} is singular (its determinant is 0), so it has no inverse. "
                          "Check for linearly dependent rows or columns; slogdet works on singular matrices.")


def _require_symmetric(op, a):
    d = a.data
    asymmetry = np.max(np.abs(d - np.swapaxes(d, -1, -2)), axis=(-2, -1), initial=0)
    tolerance = math.sqrt(np.finfo(d.dtype).eps) * np.max(np.abs(d), axis=(-2, -1), initial=0)
    index = _first(asymmetry > tolerance)
    if index is not None:
        raise LinAlgError(f"{op}: {_which(index, a)} is not symmetric: max |A − Aᵀ| = {asymmetry[index]:.3g}, more "
                          f"than rounding allows (√eps · max |A| = {tolerance[index]:.3g}). {op} takes symmetric "
                          "matrices and reads (A + Aᵀ)/2; symmetrise the input if that is what you mean.")


def _require_positive_definite(op, a):
    """A LinAlgError naming the first matrix whose Cholesky factorisation fails (numpy's error does
    not say which). The check is one more factorisation: clarity over speed."""
    sym = _symmetric_part(np, a.data)
    try:
        np.linalg.cholesky(sym)
        return
    except np.linalg.LinAlgError:
        pass
    for index in np.ndindex(a.shape[:-2]):
        try:
            np.linalg.cholesky(sym[index])
        except np.linalg.LinAlgError:
            smallest = np.linalg.eigvalsh(sym[index])[0]
            raise LinAlgError(f"{op}: {_which(index, a)} is not positive definite (smallest eigenvalue "
                              f"{smallest:.3g}): only symmetric positive-definite matrices have a Cholesky factor. "
                              "A covariance built as B Bᵀ + εI (ε > 0) always is.") from None


def _right_hand_side(op, a, b):
    """b as a stack of matrices (..., M, K) that fits a (..., M, M), and whether it was a vector (M,)
    (numpy 2's rule: b is a vector only if it has one axis)."""
    b = _floating(b)
    m = a.shape[-1]
    if b.ndim == 1 and b.shape[0] == m:
        return b.reshape(m, 1), True
    if b.ndim < 2 or b.shape[-2] != m:
        raise ShapeError(f"{op}: b of shape {b.shape} does not fit a of shape {a.shape}: b must be a vector ({m},) or "
                         f"a stack of matrices (..., {m}, K) whose rows match a's {m} columns")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"{op}: the batch axes of a {a.shape} and b {b.shape} do not broadcast: "
                         f"{a.shape[:-2]} against {b.shape[:-2]}") from None
    return b, False


# ---- the functions --------------------------------------------------------------------------------


def det(a):
    """det A of each matrix (numpy.linalg.det). Gradient ḡ det(A) A⁻ᵀ; at an exactly singular matrix
    that needs A⁻¹, so backward raises there (see docs/linalg.md)."""
    return apply(DET, _square("det", a))


def slogdet(a):
    """(sign, log|det A|) of each matrix (numpy.linalg.slogdet): no overflow for large matrices, the
    form a flow's log-likelihood uses (chapter 16). A singular matrix gives sign 0 and log|det| −inf,
    as numpy (its gradient does not exist: backward raises). `sign` is a constant."""
    packed = apply(SLOGDET, _square("slogdet", a))
    return SlogdetResult(Tensor._wrap(packed.data[..., 0]), packed[..., 1])


def inv(a):
    """A⁻¹ of each matrix (numpy.linalg.inv); a singular matrix is a LinAlgError naming it."""
    a = _square("inv", a)
    _require_invertible("inv", a)
    return apply(INV, a)


def solve(a, b):
    """x with A x = b (numpy.linalg.solve): b is a vector (M,) or a stack of matrices (..., M, K), and
    batch axes broadcast. Cheaper and more accurate than inv(a) @ b."""
    a = _square("solve", a)
    b, vector = _right_hand_side("solve", a, b)
    _require_invertible("solve", a)
    x = apply(SOLVE, a, b)
    return x.reshape(x.shape[:-1]) if vector else x


_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 1, "C": 1}   # real matrices: the conjugate transpose is the transpose


def solve_triangular(a, b, lower=False, trans=0, unit_diagonal=False):
    """x with op(T) x = b for the triangle T of a (scipy.linalg.solve_triangular): `lower` picks the
    triangle (the other one is ignored, and gets no gradient), `trans` 0/'N' solves T x = b and
    1/'T' (or 2/'C') Tᵀ x = b, `unit_diagonal` takes the diagonal as ones without reading it.
    Batched: a (..., M, M), b (M,) or (..., M, K), batch axes broadcast."""
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    a = _square("solve_triangular", a)
    b, vector = _right_hand_side("solve_triangular", a, b)
    if not unit_diagonal:
        zero = np.diagonal(a.data, axis1=-2, axis2=-1) == 0
        index = _first(zero.any(axis=-1))
        if index is not None:
            k = int(np.argmax(zero[index]))
            raise LinAlgError(f"solve_triangular: {_which(index, a)} is singular: diagonal entry {k} is 0. A "
                              "triangular matrix is invertible exactly when its diagonal has no zero.")
    x = apply(SOLVE_TRIANGULAR, a, b, lower=bool(lower), trans=_TRANS[trans], unit_diagonal=bool(unit_diagonal))
    return x.reshape(x.shape[:-1]) if vector else x


def cholesky(a):
    """The lower-triangular L with L Lᵀ = A of each symmetric positive-definite matrix
    (numpy.linalg.cholesky). Reads (A + Aᵀ)/2; rejects non-symmetric and non-positive-definite input."""
    a = _square("cholesky", a)
    _require_symmetric("cholesky", a)
    _require_positive_definite("cholesky", a)
    return apply(CHOLESKY, a)


def eigh(a):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix (numpy.linalg.eigh,
    which reads the lower triangle; this reads (A + Aᵀ)/2, the same on symmetric input). Eigenvectors
    are signed so that their largest-magnitude entry is positive (numpy's signs are arbitrary).

    Gradients: through the eigenvalues always finite; through the eigenvectors they have
    1/(λj − λi), so at a repeated eigenvalue backward raises RepeatedEigenvalueError (unless the loss
    does not depend on the tied eigenvectors). Near-ties give large, correct gradients."""
    a = _square("eigh", a)
    _require_symmetric("eigh", a)
    return EighResult(*_unpack_eigh(apply(EIGH, a)))


def eigvalsh(a):
    """The eigenvalues of each symmetric matrix, ascending (numpy.linalg.eigvalsh). Gradient
    V diag(w̄) Vᵀ, finite at repeated eigenvalues too (there it is one of the one-sided derivatives
    unless w̄ is equal on the tie, e.g. for Σλ or log det). Computed by eigh, whose eigenvectors the
    gradient needs; the second derivative has 1/(λj − λi) and raises at a tie."""
    return eigh(a).eigenvalues


_VECTOR_ORDS = "None or 2, any real p >= 1, inf, -inf"
_MATRIX_ORDS = "None or 'fro', 1, -1, inf, -inf"


def _vector_norm(x, ord, axes, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; for vectors ord is one of {_VECTOR_ORDS}")
    if ord in (math.inf, -math.inf):   # max / min |x_i|; tied extremes share the gradient evenly
        magnitude = abs(x)
        return (magnitude.max if ord > 0 else magnitude.min)(axis=axes, keepdims=keepdims)
    if ord is None or ord >= 1:
        return apply(VECTOR_NORM, x, p=2 if ord is None else ord, axis=axes, keepdims=keepdims)
    raise NotImplementedError(f"norm: ord={ord!r} of a vector is not supported (for p < 1 it is no norm, and its "
                              f"gradient is infinite or zero at zero entries); supported: {_VECTOR_ORDS}")


def _matrix_norm(x, ord, axes, keepdims):
    rows, cols = axes
    if ord is None or ord == "fro":
        return apply(VECTOR_NORM, x, p=2, axis=axes, keepdims=keepdims)
    if ord in (2, -2, "nuc"):
        raise NotImplementedError(f"norm: ord={ord!r} of a matrix needs singular values, which are not implemented; "
                                  f"supported: {_MATRIX_ORDS}. The spectral norm (ord=2) of A is "
                                  "sqrt(eigvalsh(A.T @ A)[..., -1]).")
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: invalid ord {ord!r} for a matrix; supported: {_MATRIX_ORDS}")
    # 1: the largest column sum of |x| (sum over rows); inf: the largest row sum. -1 / -inf: smallest.
    summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = abs(x).sum(axis=summed, keepdims=True)
    out = (sums.max if ord > 0 else sums.min)(axis=other, keepdims=True)
    return out if keepdims else out.squeeze(axes)


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: a vector norm along one axis, a matrix norm over two, or (ord=None,
    axis=None) the 2-norm of all elements. Vector ords: None/2, p >= 1, ±inf; matrix ords:
    None/'fro', ±1, ±inf (ord=±2 and 'nuc' need an SVD: NotImplementedError). The gradient at
    x = 0 is 0 (a subgradient), never NaN."""
    x = _floating(x)
    if axis is None:
        if ord is None:
            return apply(VECTOR_NORM, x, p=2, axis=tuple(range(x.ndim)), keepdims=keepdims)
        if x.ndim not in (1, 2):
            raise ShapeError(f"norm: ord={ord!r} without axis needs a vector or a matrix, got shape {x.shape}; "
                             "pass axis= (one axis for a vector norm, two for a matrix norm)")
        axis = tuple(range(x.ndim))
    axes = _axis((axis,) if isinstance(axis, int | np.integer) else tuple(axis), x.ndim, "norm")
    if len(set(axes)) != len(axes) or len(axes) not in (1, 2):
        raise ShapeError(f"norm: axis={axis!r} must be one axis (vector norm) or two different axes (matrix norm)")
    return (_vector_norm if len(axes) == 1 else _matrix_norm)(x, ord, axes, keepdims)
