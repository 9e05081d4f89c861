"""Hessian spectra of a network's loss without forming the Hessian (figs. 20.8-20.9).

The Hessian H = ∂²L/∂φ² of a loss over all the parameters φ has |φ|² entries (231 million for
fig. 8.2's 15,210-parameter MLP), but a Hessian-vector product H v costs about two backward passes
(`autograd.functional.hvp`: the gradient of (∂L/∂φ)·v). Lanczos iteration needs nothing else:
from a random unit vector q₁ it builds an orthonormal basis q₁ ... q_m of the Krylov space
{q₁, H q₁, ..., H^{m−1} q₁} in which H is the tridiagonal matrix T_m with

    α_j = q_jᵀ H q_j,    β_j q_{j+1} = H q_j − α_j q_j − β_{j−1} q_{j−1}

(standard, not in the book). The eigenvalues of T_m (Ritz values) approach H's extreme eigenvalues
first: a few dozen products give the largest and the most negative ones of a 15,000-dimensional
Hessian. In floating point the q_j lose orthogonality, so each new vector is orthogonalised
against all the earlier ones again (full reorthogonalisation; m is small).

The same tridiagonal matrix, started from random probe vectors, estimates the whole spectral
density ("stochastic Lanczos quadrature", standard, not in the book): each eigenpair (θ_i, s_i) of
T_m puts weight s_i[0]² at θ_i, and the average over probes approaches the fraction of H's
eigenvalues in any interval -- e.g. the fraction of negative eigenvalues of fig. 20.8b.

    hvp = loss_hvp(model, x, y)                 # v -> H v at the model's parameters (numpy)
    top, bottom = extreme_eigenvalues(hvp, hvp.dim, k=3, steps=40, rng=0)
"""
from __future__ import annotations

import numpy as np

from ..autograd.functional import hessian, hvp
from ..autograd.tensor import Tensor
from ..checks import as_generator
from ..nn.loss import cross_entropy
from .common import loss_of_vector


class LossHVP:
    """`LossHVP(model, x, y, loss_fn)`: v ↦ H v, the Hessian of the loss of `model` on (x, y) with
    respect to all its parameters (in `parameters()` order) at their current values, for numpy
    vectors v. `dim` is the number of parameters; `calls` counts the products."""

    def __init__(self, model, x, y, loss_fn=cross_entropy, at=None):
        self.f, theta = loss_of_vector(model, x, y, loss_fn)
        self.theta = theta if at is None else Tensor(np.asarray(at, dtype=theta.dtype))
        self.dim = int(self.theta.shape[0])
        self.dtype = self.theta.dtype
        self.calls = 0
        self.loss = float(self.f(self.theta).item())

    def __call__(self, v):
        self.calls += 1
        _, product = hvp(self.f, self.theta, np.asarray(v, dtype=self.dtype))
        return np.asarray(product.data, dtype=np.float64)


def loss_hvp(model, x, y, loss_fn=cross_entropy, at=None) -> LossHVP:
    """The Hessian-vector product of the loss at the model's parameters (or at the vector `at`)."""
    return LossHVP(model, x, y, loss_fn, at)


def dense_hessian(model, x, y, loss_fn=cross_entropy) -> np.ndarray:
    """The full |φ|×|φ| Hessian (one backward pass per parameter): for checking on small models."""
    f, theta = loss_of_vector(model, x, y, loss_fn)
    return np.asarray(hessian(f)(theta).data, dtype=np.float64)


def lanczos(matvec, dim, steps, rng=0, start=None):
    """`steps` Lanczos iterations on the symmetric operator `matvec` (numpy vector -> vector) of
    dimension `dim`, with full reorthogonalisation, in float64.

    Returns (alpha, beta, Q): the diagonal (m,) and off-diagonal (m − 1,) of the tridiagonal T_m and
    the orthonormal basis Q (m × dim). m < `steps` when the Krylov space is exhausted (an invariant
    subspace is found: then T_m's eigenvalues are exact eigenvalues of the operator).
    """
    steps = int(min(steps, dim))
    if steps < 1:
        raise ValueError(f"lanczos: steps must be >= 1, got {steps}")
    gen = as_generator(rng, "lanczos")
    q = gen.standard_normal(dim) if start is None else np.asarray(start, dtype=np.float64).copy()
    q /= np.linalg.norm(q)
    basis, alpha, beta = [q], [], []
    for j in range(steps):
        w = np.asarray(matvec(basis[j]), dtype=np.float64)
        alpha.append(float(basis[j] @ w))
        Q = np.array(basis)
        for _ in range(2):  # twice is enough (Kahan-Parlett): orthogonal to working precision
            w -= Q.T @ (Q @ w)
        b = float(np.linalg.norm(w))
        if j == steps - 1:
            break
        scale = max(abs(a) for a in alpha) or 1.0
        if b <= 1e-10 * scale:  # an invariant subspace: T_j holds exact eigenvalues
            break
        beta.append(b)
        basis.append(w / b)
    return np.array(alpha), np.array(beta), np.array(basis)


def tridiagonal_eigh(alpha, beta):
    """Eigenvalues (ascending) and eigenvectors of the tridiagonal matrix with diagonal `alpha`."""
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    return np.linalg.eigh(T)


def extreme_eigenvalues(matvec, dim, k=3, steps=40, rng=0):
    """(top, bottom): the `k` largest eigenvalues (descending) and the `k` smallest (ascending) of the
    symmetric operator, as Ritz values of `steps` Lanczos iterations."""
    alpha, beta, _ = lanczos(matvec, dim, steps, rng)
    values = tridiagonal_eigh(alpha, beta)[0]
    k = min(k, len(values))
    return values[::-1][:k].copy(), values[:k].copy()


def spectral_density(matvec, dim, steps=30, probes=4, rng=0):
    """Stochastic Lanczos quadrature: (nodes, weights) of a discrete approximation of the spectral
    density (1/dim)·Σ_i δ(λ − λ_i), from `probes` Rademacher start vectors of `steps` iterations each.
    The weights sum to 1; `negative_fraction` and histograms are read from them."""
    gen = as_generator(rng, "spectral_density")
    nodes, weights = [], []
    for _ in range(probes):
        start = gen.choice([-1.0, 1.0], size=dim)
        alpha, beta, _ = lanczos(matvec, dim, steps, gen, start=start)
        theta, vectors = tridiagonal_eigh(alpha, beta)
        nodes.append(theta)
        weights.append(vectors[0] ** 2 / probes)
    return np.concatenate(nodes), np.concatenate(weights)


def negative_fraction(nodes, weights, tolerance=0.0) -> float:
    """The estimated fraction of eigenvalues below −`tolerance` (fig. 20.8b's 'index')."""
    return float(np.sum(weights[nodes < -tolerance]))


def random_subspace_hessian(matvec, dim, subspace, rng=0) -> np.ndarray:
    """Pᵀ H P for a random orthonormal P (dim × `subspace`): the Hessian of the loss restricted to a
    random `subspace`-dimensional slice through the current point (fig. 20.9), from `subspace` products."""
    gen = as_generator(rng, "random_subspace_hessian")
    P, _ = np.linalg.qr(gen.standard_normal((dim, subspace)))
    HP = np.stack([matvec(P[:, j]) for j in range(subspace)], axis=1)
    H = P.T @ HP
    return (H + H.T) / 2
