"""Control variates (fig. 19.16, problem 19.7): unbiased, with variance Var[a]·(1 − ρ²)/I at the
optimal coefficient; references in closed form."""
import numpy as np
import pytest

from tinygrad_udl.rl import compare_estimators, control_variate_estimate, optimal_coefficient

N_SAMPLES, TRIALS = 20, 4000  # I pairs per estimate, estimates per variance


def gaussian_pairs(var_a, var_b, rho, mean_a=1.0):
    cov = rho * np.sqrt(var_a * var_b)

    def draw(rng, n):
        a, b = rng.multivariate_normal([mean_a, 0.0], [[var_a, cov], [cov, var_b]], size=n).T
        return a, b
    return draw


def square_plus_u(rng, n):
    """a = u + u², b = u with u ~ N(0, 1): E[a] = 1, Var[a] = 3, Cov[a, b] = 1, Var[b] = 1."""
    u = rng.standard_normal(n)
    return u + u**2, u


@pytest.mark.parametrize("draw, mean_a, var_a, rho2, c", [
    (gaussian_pairs(4.0, 1.0, 0.8), 1.0, 4.0, 0.64, 0.8 * 2.0),  # c = Cov/Var[b] = ρ·σ_a/σ_b
    (gaussian_pairs(2.0, 2.0, -0.5), 1.0, 2.0, 0.25, -0.5),
    (square_plus_u, 1.0, 3.0, 1 / 3, 1.0),
])
def test_the_optimal_controlled_estimator_is_unbiased_with_variance_var_a_times_1_minus_rho2(
        draw, mean_a, var_a, rho2, c):
    result = compare_estimators(draw, mean_b=0.0, n_samples=N_SAMPLES, n_trials=TRIALS, c=c, rng=0)
    plain, controlled = var_a / N_SAMPLES, var_a * (1 - rho2) / N_SAMPLES
    # the variance of a variance estimate from TRIALS draws: relative s.d. ≈ √(2/TRIALS) ≈ 2% (Gaussian)
    assert result.plain_variance == pytest.approx(plain, rel=0.12)
    assert result.controlled_variance == pytest.approx(controlled, rel=0.12)
    assert result.predicted_controlled_variance == pytest.approx(controlled, rel=0.05)
    assert abs(result.controlled_mean - mean_a) < 4 * np.sqrt(controlled / TRIALS)
    assert abs(result.plain_mean - mean_a) < 4 * np.sqrt(plain / TRIALS)


def test_fig_19_16_subtracting_a_variable_with_the_same_variance():
    # b with E[b] = 0 and Var[b] = Var[a]; a − b (c = 1) has variance 2·Var[a]·(1 − ρ)
    result = compare_estimators(gaussian_pairs(1.0, 1.0, 0.9), mean_b=0.0, n_samples=N_SAMPLES, n_trials=TRIALS,
                                c=1.0, rng=1)
    assert result.controlled_variance == pytest.approx(2 * (1 - 0.9) / N_SAMPLES, rel=0.12)
    assert result.controlled_variance < result.plain_variance / 4


def test_a_coefficient_estimated_from_the_samples_does_nearly_as_well():
    result = compare_estimators(square_plus_u, mean_b=0.0, n_samples=200, n_trials=2000, rng=2)
    assert result.controlled_variance == pytest.approx(3 * (2 / 3) / 200, rel=0.15)
    assert abs(result.controlled_mean - 1.0) < 4 * np.sqrt(2 / 200 / 2000) + 0.01  # bias O(1/I)


def test_the_coefficient_and_the_estimate_from_samples():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=50), rng.normal(size=50)
    a = a + 2 * b
    assert optimal_coefficient(a, b) == pytest.approx(np.cov(a, b, ddof=0)[0, 1] / np.var(b))
    c = optimal_coefficient(a, b)
    assert control_variate_estimate(a, b, 0.5) == pytest.approx(np.mean(a - c * (b - 0.5)))
    assert control_variate_estimate(a, b, 0.5, c=0.0) == pytest.approx(a.mean())


def test_bad_samples_are_refused():
    with pytest.raises(ValueError, match="paired samples of the same size"):
        optimal_coefficient([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Var\\[b\\] = 0"):
        optimal_coefficient([1.0, 2.0], [1.0, 1.0])
