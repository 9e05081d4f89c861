"""The encoder's closed forms (section 18.2) against independent computations.

Oracles: the cumulative product of (1 − β_s) taken directly; simulating the forward process step by
step (eq. 18.1, written out here) for the kernel's moments (eq. 18.8); Bayes' rule evaluated on a
grid, q(z_{t−1} | z_t, x) ∝ q(z_t | z_{t−1}) q(z_{t−1} | x), for the posterior (eq. 18.15); the
posterior mean with x written in terms of the noise, for the decoder's mean (eq. 18.35).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.zoo.generative.diffusion.schedule import NoiseSchedule

betas_strategy = st.lists(st.floats(1e-4, 0.3), min_size=1, max_size=40)


def log_normal(x, mean, variance):
    return -0.5 * (x - mean) ** 2 / variance - 0.5 * np.log(2 * np.pi * variance)


@given(betas_strategy)
def test_alphas_are_the_cumulative_products(betas):
    schedule = NoiseSchedule(betas)
    np.testing.assert_allclose(schedule.alphas, np.concatenate([[1.0], np.cumprod(1 - np.array(betas))]), rtol=1e-12)
    assert schedule.steps == len(betas)


def test_constructors():
    assert np.array_equal(NoiseSchedule.constant(100, 0.03).betas, np.full(100, 0.03))
    linear = NoiseSchedule.linear(5, 0.1, 0.5)
    np.testing.assert_allclose(linear.betas, [0.1, 0.2, 0.3, 0.4, 0.5])
    assert abs(NoiseSchedule.constant(100, 0.03).alphas[100] - 0.97 ** 100) < 1e-15


def test_the_kernel_matches_the_forward_process_simulated_step_by_step():
    schedule = NoiseSchedule.linear(60, 0.005, 0.08)
    gen = np.random.default_rng(0)
    n = 200_000
    x = np.where(np.arange(n) % 2 == 0, -2.0, 1.5)       # two starting points, x* = -2 as fig. 18.3
    z = x.copy()
    for t in range(1, schedule.steps + 1):
        beta = schedule.betas[t - 1]
        z = np.sqrt(1 - beta) * z + np.sqrt(beta) * gen.standard_normal(n)   # eq. 18.1
        if t in (1, 10, 30, 60):
            mean, variance = schedule.kernel(x, t)
            for start in (-2.0, 1.5):
                chosen = x == start
                sample = z[chosen]
                m, v = mean[chosen][0], np.broadcast_to(variance, x.shape)[chosen][0]
                assert abs(sample.mean() - m) < 5 * np.sqrt(v / len(sample))
                assert abs(sample.var() - v) < 5 * v * np.sqrt(2 / len(sample))


def test_step_and_diffuse_are_eqs_18_1_and_18_7():
    schedule = NoiseSchedule.linear(10, 0.01, 0.2)
    x, noise = np.array([[0.3], [-1.2]]), np.array([[0.7], [0.1]])
    np.testing.assert_allclose(schedule.step(x, 4, noise), np.sqrt(1 - 0.01 - 3 * (0.19 / 9)) * x
                               + np.sqrt(0.01 + 3 * (0.19 / 9)) * noise)
    alpha = np.prod(1 - schedule.betas[:6])
    np.testing.assert_allclose(schedule.diffuse(x, np.array([6, 6]), noise),
                               np.sqrt(alpha) * x + np.sqrt(1 - alpha) * noise)


@settings(max_examples=30)
@given(betas_strategy.filter(lambda b: len(b) >= 2), st.data())
def test_the_posterior_is_bayes_rule_on_a_grid(betas, data):
    schedule = NoiseSchedule(betas)
    t = data.draw(st.integers(2, len(betas)))
    x = data.draw(st.floats(-3, 3))
    z_t = data.draw(st.floats(-3, 3))
    alphas = np.concatenate([[1.0], np.cumprod(1 - np.array(betas))])
    beta, previous = betas[t - 1], alphas[t - 1]
    # q(z_{t-1} | z_t, x) ∝ q(z_t | z_{t-1}) q(z_{t-1} | x): the forward step (eq. 18.2) times the kernel at t-1
    centre, spread = np.sqrt(previous) * x, np.sqrt(1 - previous) + np.sqrt(beta)
    # the grid spans both factors: the kernel's centre and where the forward step puts z_{t-1} (z_t / √(1-β));
    # with a small β the posterior sits near the latter, however far the kernel's centre is
    ends = (centre, z_t / np.sqrt(1 - beta))
    grid = np.linspace(min(ends) - 12 * spread, max(ends) + 12 * spread, 200_001)
    log_weight = log_normal(z_t, np.sqrt(1 - beta) * grid, beta) + log_normal(grid, np.sqrt(previous) * x, 1 - previous)
    weight = np.exp(log_weight - log_weight.max())
    weight /= weight.sum()
    mean = (weight * grid).sum()
    variance = (weight * (grid - mean) ** 2).sum()
    ours_mean, ours_variance = schedule.posterior(np.array(z_t), np.array(x), t)
    assert abs(ours_mean - mean) < 1e-6 * (1 + abs(mean))
    assert abs(ours_variance - variance) < 1e-5 * variance
    assert abs(schedule.sigma2(t, "posterior") - variance) < 1e-5 * variance
    assert schedule.sigma2(t, "beta") == beta


def test_the_posterior_at_t_1_is_the_data_point():
    schedule = NoiseSchedule.constant(5, 0.1)
    mean, variance = schedule.posterior(np.array([0.4]), np.array([-1.0]), 1)
    assert mean[0] == pytest.approx(-1.0) and variance == pytest.approx(0.0)


@given(st.integers(1, 30), st.floats(-3, 3), st.floats(-3, 3))
def test_the_decoder_mean_with_the_true_noise_is_the_posterior_mean(t, x, noise):
    # eq. 18.35 is eq. 18.15 with x = (z_t - sqrt(1 - alpha_t) eps) / sqrt(alpha_t) (eqs. 18.30-18.34)
    schedule = NoiseSchedule.linear(30, 0.002, 0.1)
    z = schedule.diffuse(np.array([x]), t, np.array([noise]))
    posterior_mean, _ = schedule.posterior(z, np.array([x]), t)
    np.testing.assert_allclose(schedule.reverse_mean(z, np.array([noise]), t), posterior_mean, rtol=1e-9, atol=1e-9)


def test_per_example_steps_broadcast_over_images():
    schedule = NoiseSchedule.linear(20, 0.01, 0.1)
    x, noise = np.ones((3, 1, 2, 2)), np.zeros((3, 1, 2, 2))
    z = schedule.diffuse(x, np.array([1, 10, 20]), noise)
    np.testing.assert_allclose(z[:, 0, 0, 0], np.sqrt(schedule.alphas[[1, 10, 20]]))


@pytest.mark.parametrize("betas, message", [([], "non-empty"), ([0.1, 1.0], "strictly between"),
                                            ([0.0], "strictly between"), ([[0.1]], "1-D")])
def test_bad_schedules_are_refused(betas, message):
    with pytest.raises(ValueError, match=message):
        NoiseSchedule(betas)


def test_bad_steps_are_refused():
    schedule = NoiseSchedule.constant(10, 0.05)
    with pytest.raises(ValueError, match="0..10"):        # the kernel allows t = 0 (z_0 = x)
        schedule.diffuse(np.zeros(2), 11, np.zeros(2))
    with pytest.raises(ValueError, match="1..10"):
        schedule.posterior(np.zeros(1), np.zeros(1), 0)
    with pytest.raises(TypeError, match="integers"):
        schedule.kernel(np.zeros(2), 1.5)
    with pytest.raises(ValueError, match="one per example"):
        schedule.diffuse(np.zeros((3, 2)), np.array([1, 2]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="sigma"):
        schedule.sigma2(1, "nope")
