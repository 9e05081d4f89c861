"""Control variates: a lower-variance Monte Carlo estimate of E[a] (fig. 19.16, problem 19.7).

Given samples a_i and paired samples b_i of a variable with known mean E[b], the estimator
µ̂′ = (1/I)·Σ_i (a_i − c·(b_i − E[b])) (eq. 19.46) is unbiased for any constant c, and its variance,
(Var[a] − 2c·Cov[a, b] + c²·Var[b])/I, is smallest at c = Cov[a, b]/Var[b], where it equals
Var[a]·(1 − ρ²)/I, with ρ the correlation of a and b. A baseline in the policy gradient
(eqs. 19.34–19.38) is this idea: it has known expectation (zero, eq. 19.35).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_int

__all__ = ["optimal_coefficient", "control_variate_estimate", "EstimatorComparison", "compare_estimators"]


def optimal_coefficient(a, b) -> float:
    """c = Cov[a, b]/Var[b], estimated from paired samples (problem 19.7)."""
    a, b = _paired(a, b, "optimal_coefficient")
    var_b = b.var()
    if var_b == 0:
        raise ValueError("optimal_coefficient: the samples of b are all equal, so Var[b] = 0 "
                         "and b carries no information")
    return float(((a - a.mean()) * (b - b.mean())).mean() / var_b)


def control_variate_estimate(a, b, mean_b: float, c: float | None = None) -> float:
    """µ̂′ = mean(a − c·(b − E[b])) (eq. 19.46); c=None uses `optimal_coefficient(a, b)` from the same
    samples (a bias of order 1/I; pass a c fixed in advance for an exactly unbiased estimate)."""
    a, b = _paired(a, b, "control_variate_estimate")
    c = optimal_coefficient(a, b) if c is None else float(c)
    return float((a - c * (b - mean_b)).mean())


@dataclass(frozen=True)
class EstimatorComparison:
    """Over many repeated estimates from `n_samples` pairs each: the mean and the variance of the
    plain estimate mean(a) (eq. 19.47) and of the controlled one (eq. 19.46), and the variance
    that theory predicts for the controlled one with the optimal c, Var[a]·(1 − ρ²)/I, from the
    pooled samples."""
    plain_mean: float
    plain_variance: float
    controlled_mean: float
    controlled_variance: float
    predicted_controlled_variance: float


def compare_estimators(draw, mean_b: float, n_samples: int, n_trials: int = 1_000, c: float | None = None,
                       rng=None) -> EstimatorComparison:
    """Repeat both estimators `n_trials` times on fresh samples: `draw(rng, n)` returns n paired
    samples (a, b); b has the known mean `mean_b`; c is fixed, or estimated in each trial (None)."""
    n_samples = check_int(n_samples, "n_samples", "compare_estimators", 2)
    n_trials = check_int(n_trials, "n_trials", "compare_estimators", 2)
    rng = as_generator(rng, "compare_estimators")
    plain, controlled, pooled = np.empty(n_trials), np.empty(n_trials), []
    for trial in range(n_trials):
        a, b = _paired(*draw(rng, n_samples), "compare_estimators")
        plain[trial] = a.mean()
        controlled[trial] = control_variate_estimate(a, b, mean_b, c)
        pooled.append((a, b))
    a, b = (np.concatenate(column) for column in zip(*pooled, strict=True))
    rho = np.corrcoef(a, b)[0, 1]
    return EstimatorComparison(float(plain.mean()), float(plain.var(ddof=1)), float(controlled.mean()),
                               float(controlled.var(ddof=1)), float(a.var() * (1 - rho**2) / n_samples))


def _paired(a, b, where):
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.size != b.size or a.size < 2:
        raise ValueError(f"{where}: a and b must be paired samples of the same size (at least 2), "
                         f"got {a.size} and {b.size}")
    return a, b
