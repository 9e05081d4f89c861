"""Exact references for diffusion models of Gaussian-mixture data: the best possible denoiser.

For data x ~ Σ_k w_k N(μ_k, Σ_k) the encoder's marginals stay mixtures: convolving with the diffusion
kernel (eqs. 18.8, 18.10) gives

    q(z_t) = Σ_k w_k N(z_t; √α_t μ_k, V_k),   V_k = α_t Σ_k + (1−α_t) I.

The loss of eq. 18.39 at step t is E‖g_t[z_t] − ε‖², minimised by the posterior mean g*(z_t) =
E[ε | z_t], with the minimum E_{q(z_t)}[tr Var(ε | z_t)] -- the Bayes-optimal ε-prediction error, a
floor no network can beat. Within component k, (ε, z_t) are jointly normal with Cov(ε, z_t) =
√(1−α_t) I, so

    E[ε | z_t, k] = √(1−α_t) V_k⁻¹ (z_t − √α_t μ_k),    Var(ε | z_t, k) = I − (1−α_t) V_k⁻¹,

and the mixture posterior weighs them by the responsibilities r_k(z_t) ∝ w_k N(z_t; √α_t μ_k, V_k):
E[ε | z_t] = Σ_k r_k E_k and Var(ε | z_t) = Σ_k r_k (Var_k + E_k E_kᵀ) − E Eᵀ.

In 1-D the floor is an integral over z_t, computed on a fine grid (`bayes_noise_mse_grid`); in
more dimensions the Bayes-optimal predictor (`bayes_denoiser`) is scored on the same test draws as
the model (`training.noise_mse`). Errors are per dimension (the trace divided by D), as the models'
`eps-MSE`. For data that are not a mixture (the digits) the reference is the best linear predictor
(`linear_denoiser`), exact for Gaussian data.
"""
from __future__ import annotations

import numpy as np

from ....data import GaussianMixture

__all__ = ["diffused_mixture", "optimal_noise", "bayes_noise_mse_grid", "bayes_loss_grid", "noise_mse_grid",
           "bayes_denoiser", "linear_denoiser"]


def _check_alpha(alpha, where):
    alpha = float(alpha)
    if not 0 < alpha < 1:
        raise ValueError(f"{where}: alpha_t must lie strictly between 0 and 1 (a step t >= 1), got {alpha}")
    return alpha


def diffused_mixture(mixture, alpha) -> GaussianMixture:
    """q(z_t) for data from `mixture` after the kernel with α_t = `alpha` (eqs. 18.8 and 18.10)."""
    alpha = _check_alpha(alpha, "diffused_mixture")
    covariances = alpha * mixture.covariances + (1 - alpha) * np.eye(mixture.dim)
    return GaussianMixture(np.sqrt(alpha) * mixture.means, covariances, mixture.weights)


def optimal_noise(mixture, alpha, z, chunk=2048):
    """(E[ε | z_t], tr Var(ε | z_t) / D) at points z (n, D): the Bayes-optimal noise prediction and
    its expected squared error per dimension (the module docstring's formulas), `chunk` points at
    a time (the responsibilities are an (n, K) array; the moons have K = 1,000 components)."""
    alpha = _check_alpha(alpha, "optimal_noise")
    marginal = diffused_mixture(mixture, alpha)
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    mean, error = np.empty(z.shape), np.empty(len(z))
    for start in range(0, len(z), chunk):
        part = slice(start, start + chunk)
        mean[part], error[part] = _posterior_noise(marginal, alpha, z[part])
    return mean, error / mixture.dim


def _posterior_noise(marginal, alpha, z):
    """E[ε | z] and tr Var(ε | z) under q(z_t) = `marginal`."""
    logs = marginal.component_log_probs(z)                                   # (n, K)
    r = np.exp(logs - logs.max(axis=1, keepdims=True))
    r /= r.sum(axis=1, keepdims=True)                                        # responsibilities r_k(z)
    dim = marginal.dim
    variances = marginal.covariances[:, 0, 0]
    if np.array_equal(marginal.covariances, variances[:, None, None] * np.eye(dim)):
        # V_k = v_k I: E_k = √(1−α)(z − m_k)/v_k, so every sum over k is a product with (n, K) matrices
        weights = r / variances                                              # r_k / v_k
        mean = np.sqrt(1 - alpha) * (weights.sum(axis=1, keepdims=True) * z - weights @ marginal.means)
        distance2 = np.maximum((z * z).sum(1)[:, None] - 2 * z @ marginal.means.T + (marginal.means ** 2).sum(1), 0)
        trace_variance = dim * (1 - (1 - alpha) / variances)                 # tr Var(ε | z, k)
        second_moment = r @ trace_variance + (1 - alpha) * (weights / variances * distance2).sum(axis=1)
    else:
        precision = np.linalg.inv(marginal.covariances)                      # V_k⁻¹ (K, D, D)
        per_component = np.sqrt(1 - alpha) * np.einsum("kij,nkj->nki", precision, z[:, None, :] - marginal.means[None])
        mean = np.einsum("nk,nki->ni", r, per_component)
        trace_variance = dim - (1 - alpha) * np.trace(precision, axis1=1, axis2=2)
        second_moment = r @ trace_variance + np.einsum("nk,nki,nki->n", r, per_component, per_component)
    return mean, second_moment - (mean ** 2).sum(axis=1)


def _grid_1d(marginal, points):
    if marginal.dim != 1:
        raise ValueError(f"grid integration is for 1-D mixtures; this one is {marginal.dim}-D")
    spread = np.sqrt(marginal.covariances[:, 0, 0]).max()
    grid = np.linspace(marginal.means.min() - 12 * spread, marginal.means.max() + 12 * spread, points)
    return grid, np.exp(marginal.log_prob(grid[:, None]))


def bayes_noise_mse_grid(mixture, alpha, points=20_001) -> float:
    """∫ q(z_t) Var(ε | z_t) dz_t for a 1-D mixture (trapezoid rule on `points` points spanning ±12
    standard deviations of the widest component of q(z_t))."""
    grid, density = _grid_1d(diffused_mixture(mixture, alpha), points)
    return float(np.trapezoid(density * optimal_noise(mixture, alpha, grid[:, None])[1], grid))


def bayes_loss_grid(mixture, schedule, points=4_001) -> float:
    """The Bayes-optimal value of the whole loss of eq. 18.39 (t ~ U{1..T}) for a 1-D mixture: the
    mean over t of `bayes_noise_mse_grid`."""
    return float(np.mean([bayes_noise_mse_grid(mixture, schedule.alphas[t], points)
                          for t in range(1, schedule.steps + 1)]))


def noise_mse_grid(predict, mixture, alpha, points=20_001) -> float:
    """The expected ε-prediction error E‖g(z_t) − ε‖² of any predictor `predict(z)` ((n, 1) -> (n, 1))
    for a 1-D mixture, by integrating q(z_t)·[Var(ε | z_t) + (g(z_t) − E[ε | z_t])²] on the grid."""
    grid, density = _grid_1d(diffused_mixture(mixture, alpha), points)
    mean, variance = optimal_noise(mixture, alpha, grid[:, None])
    excess = ((np.asarray(predict(grid[:, None])).reshape(mean.shape) - mean) ** 2)[:, 0]
    return float(np.trapezoid(density * (variance + excess), grid))


# ---- noise predictors with the interface of DiffusionModel.predict_noise -----------------------------------


def _noise_predictor(schedule, predict_at, where):
    """predict_noise(z, t) from `predict_at(z, alpha)` (flat examples (n, D) at one α_t): t an int or
    one per example, z of any shape (N, ...)."""

    def predict_noise(z, t):
        z = np.asarray(z, dtype=np.float64)
        t = schedule.check_steps(t, where)
        flat = z.reshape(len(z), -1)
        if t.ndim == 0:
            return predict_at(flat, schedule.alphas[t]).reshape(z.shape)
        out = np.empty(flat.shape)
        for step in np.unique(t):
            chosen = t == step
            out[chosen] = predict_at(flat[chosen], schedule.alphas[step])
        return out.reshape(z.shape)

    return predict_noise


def bayes_denoiser(mixture, schedule):
    """The Bayes-optimal noise predictor g*(z_t) = E[ε | z_t] for data from `mixture` under `schedule`."""
    return _noise_predictor(schedule, lambda z, alpha: optimal_noise(mixture, alpha, z)[0], "bayes_denoiser")


def linear_denoiser(x_train, schedule):
    """The best *linear* noise predictor (the Wiener filter) for data with the mean μ and covariance Σ
    of `x_train` (examples of any shape, flattened): g(z_t) = √(1−α_t) V⁻¹ (z_t − √α_t μ) with
    V = α_t Σ + (1−α_t) I -- the posterior mean if the data were N(μ, Σ). A network that beats it uses
    more of the data than their first two moments."""
    train = np.asarray(x_train, dtype=np.float64).reshape(len(x_train), -1)
    mean, covariance = train.mean(axis=0), np.cov(train, rowvar=False, bias=True)

    def predict_at(z, alpha):
        v = alpha * covariance + (1 - alpha) * np.eye(len(mean))
        return np.sqrt(1 - alpha) * np.linalg.solve(v, (z - np.sqrt(alpha) * mean).T).T

    return _noise_predictor(schedule, predict_at, "linear_denoiser")
