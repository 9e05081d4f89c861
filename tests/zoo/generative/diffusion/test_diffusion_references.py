"""The Bayes-optimal denoiser of Gaussian-mixture data against Monte Carlo, and the exact comparisons.

Oracles: draws of (x, ε, z_t) simulated here -- within bins of z_t the average noise must equal
the average of E[ε | z_t] (the tower property), the error of E[ε | z_t] must be the integrated
floor, and no other predictor may do better; the bin probabilities of a mixture against
histograms of many draws; quantiles against a CDF integrated on a grid; the grid-propagated
output of Algorithm 18.2 against the algorithm run on many samples.
"""
import numpy as np
import pytest

from tinygrad_udl.data import GaussianMixture, ring_of_gaussians
from tinygrad_udl.zoo.generative.diffusion.comparison import (bin_masses, histogram, mixture_quantiles,
                                                              sampler_bin_masses_1d, total_variation)
from tinygrad_udl.zoo.generative.diffusion.data import book_mixture_1d
from tinygrad_udl.zoo.generative.diffusion.references import (bayes_denoiser, bayes_loss_grid, bayes_noise_mse_grid,
                                                              diffused_mixture, linear_denoiser, noise_mse_grid,
                                                              optimal_noise)
from tinygrad_udl.zoo.generative.diffusion.schedule import NoiseSchedule
from tinygrad_udl.zoo.generative.diffusion.training import noise_mse

N = 400_000


def simulate(mixture, alpha, n=N, seed=0):
    gen = np.random.default_rng(seed)
    x = mixture.sample(n, gen)
    noise = gen.standard_normal(x.shape)
    return np.sqrt(alpha) * x + np.sqrt(1 - alpha) * noise, noise


def test_the_book_mixture_has_mean_0_and_sd_1():
    mixture = book_mixture_1d()
    grid = np.linspace(-12, 12, 200_001)
    density = np.exp(mixture.log_prob(grid[:, None]))
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)
    assert np.trapezoid(grid * density, grid) == pytest.approx(0.0, abs=1e-9)
    assert np.trapezoid(grid ** 2 * density, grid) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("alpha", [0.97, 0.5, 0.05])
def test_the_optimal_denoiser_is_the_conditional_mean_1d(alpha):
    mixture = book_mixture_1d()
    z, noise = simulate(mixture, alpha)
    mean, variance = optimal_noise(mixture, alpha, z)
    residual = (noise - mean)[:, 0]
    # tower property: in every bin of z_t, the mean of eps is the mean of E[eps | z_t]
    bins = np.quantile(z[:, 0], np.linspace(0, 1, 41))
    which = np.clip(np.searchsorted(bins, z[:, 0]) - 1, 0, 39)
    for b in range(40):
        chosen = which == b
        assert abs(residual[chosen].mean()) < 5 * residual[chosen].std() / np.sqrt(chosen.sum())
    # the squared error is the conditional variance, on average the integrated floor
    floor = bayes_noise_mse_grid(mixture, alpha)
    assert abs((residual ** 2).mean() - floor) < 5 * (residual ** 2).std() / np.sqrt(N)
    assert abs(variance.mean() - floor) < 5 * variance.std() / np.sqrt(N)
    # and any other predictor does worse (here: E[eps | z] shifted by a smooth function of z)
    assert ((residual - 0.05 * np.sin(z[:, 0])) ** 2).mean() > (residual ** 2).mean()


def test_the_optimal_denoiser_is_the_conditional_mean_2d():
    mixture, alpha = ring_of_gaussians(), 0.3
    z, noise = simulate(mixture, alpha, n=200_000)
    mean, variance = optimal_noise(mixture, alpha, z)
    residual = noise - mean
    for h in (z[:, 0], z[:, 1], np.sin(2 * z[:, 0] * z[:, 1]), (z ** 2).sum(1)):    # E[(eps - g*) h(z)] = 0
        for d in range(2):
            product = residual[:, d] * h
            assert abs(product.mean()) < 5 * product.std() / np.sqrt(len(h))
    errors = (residual ** 2).mean(axis=1)
    assert abs(variance.mean() - errors.mean()) < 5 * errors.std() / np.sqrt(len(errors))


def test_the_general_covariance_formula():
    # a correlated 2-D mixture takes the path through V_k^{-1}; checked against Monte Carlo
    mixture = GaussianMixture([[1.0, 0.0], [-1.0, 0.5]], [[[0.3, 0.2], [0.2, 0.4]], [[0.1, -0.05], [-0.05, 0.2]]],
                              [0.6, 0.4])
    alpha = 0.6
    z, noise = simulate(mixture, alpha, n=200_000)
    mean, variance = optimal_noise(mixture, alpha, z)
    residual = noise - mean
    for d in range(2):
        product = residual[:, d] * z[:, d]
        assert abs(product.mean()) < 5 * product.std() / np.sqrt(len(z))
    errors = (residual ** 2).mean(axis=1)
    assert abs(variance.mean() - errors.mean()) < 5 * errors.std() / np.sqrt(len(errors))


def test_the_diffused_mixture_has_the_moments_of_the_simulated_z():
    mixture, alpha = book_mixture_1d(), 0.4
    z, _ = simulate(mixture, alpha)
    marginal = diffused_mixture(mixture, alpha)
    grid = np.linspace(-10, 10, 100_001)
    density = np.exp(marginal.log_prob(grid[:, None]))
    assert np.trapezoid(grid ** 2 * density, grid) == pytest.approx((z ** 2).mean(), rel=0.01)
    assert np.trapezoid(grid ** 4 * density, grid) == pytest.approx((z ** 4).mean(), rel=0.02)


def test_noise_mse_grid_of_the_optimal_predictor_is_the_floor_and_of_zero_is_one():
    mixture, alpha = book_mixture_1d(), 0.3
    floor = bayes_noise_mse_grid(mixture, alpha)
    assert noise_mse_grid(lambda z: optimal_noise(mixture, alpha, z)[0], mixture, alpha) == pytest.approx(floor)
    assert noise_mse_grid(lambda z: np.zeros_like(z), mixture, alpha) == pytest.approx(1.0, abs=1e-8)  # E[eps^2]
    assert 0 < floor < 1


def test_the_whole_loss_floor_by_grid_and_by_the_bayes_denoiser_on_draws_agree():
    # noise_mse draws t ~ U{1..T} per example: the Bayes predictor must handle one step per example
    schedule, mixture = NoiseSchedule.constant(20, 0.1), book_mixture_1d()
    x = mixture.sample(N, 4)
    estimate = noise_mse(bayes_denoiser(mixture, schedule), schedule, x)
    gen = np.random.default_rng(9)                  # the same kind of draws, for the standard error
    t = gen.integers(1, 21, size=N)
    noise = gen.standard_normal(x.shape)
    errors = ((bayes_denoiser(mixture, schedule)(schedule.diffuse(x, t, noise), t) - noise) ** 2)[:, 0]
    assert abs(estimate - bayes_loss_grid(mixture, schedule)) < 5 * errors.std() / np.sqrt(N)
    assert noise_mse(lambda z, t: np.zeros_like(z), schedule, x) == pytest.approx(1.0, abs=0.01)


def test_the_linear_denoiser_is_optimal_for_gaussian_data():
    gen = np.random.default_rng(3)
    covariance = np.array([[1.0, 0.6, 0.0], [0.6, 0.5, 0.1], [0.0, 0.1, 0.2]])
    gaussian = GaussianMixture([[0.5, -1.0, 2.0]], covariance[None], [1.0])
    schedule = NoiseSchedule.linear(10, 0.05, 0.3)
    linear = linear_denoiser(gaussian.sample(100_000, gen), schedule)
    bayes = bayes_denoiser(gaussian, schedule)
    z = gen.normal(size=(50, 3)) * 2
    for t in (1, 6, np.arange(50) % 10 + 1):
        np.testing.assert_allclose(linear(z, t), bayes(z, t), atol=0.03)   # fitted moments vs the true ones
    images = gen.normal(size=(200, 1, 2, 2))                                 # examples of any shape
    assert linear_denoiser(images, schedule)(images, 3).shape == (200, 1, 2, 2)


# ---- comparisons ---------------------------------------------------------------------------------------


def test_bin_masses_match_histograms_of_many_draws():
    for mixture, edges in ((book_mixture_1d(), np.linspace(-3, 3, 31)),
                           (ring_of_gaussians(), [np.linspace(-2.5, 2.5, 11), np.linspace(-2.5, 2.5, 11)])):
        masses = bin_masses(mixture, edges)
        assert masses.sum() == pytest.approx(1.0)
        frequencies = histogram(mixture.sample(N, 5), edges)
        assert frequencies.shape == masses.shape
        assert np.all(np.abs(frequencies - masses) < 5 * np.sqrt(masses * (1 - masses) / N) + 1e-12)
    with pytest.raises(ValueError, match="diagonal"):
        bin_masses(GaussianMixture([[0.0, 0.0]], [[[1.0, 0.5], [0.5, 1.0]]], [1.0]), [[0.0], [0.0]])


def test_total_variation():
    p = np.array([0.5, 0.5, 0.0])
    assert total_variation(p, p) == 0
    assert total_variation(p, np.array([0.0, 0.0, 1.0])) == 1
    with pytest.raises(ValueError, match="shapes"):
        total_variation(p, p[:2])


def test_quantiles_invert_the_cdf():
    mixture = book_mixture_1d()
    probabilities = [0.01, 0.3, 0.5, 0.9]
    quantiles = mixture_quantiles(mixture, probabilities)
    grid = np.linspace(-10, 10, 400_001)
    cdf = np.cumsum(np.exp(mixture.log_prob(grid[:, None]))) * (grid[1] - grid[0])
    np.testing.assert_allclose(np.interp(quantiles, grid, cdf), probabilities, atol=2e-4)


def test_the_grid_output_of_algorithm_18_2_matches_running_it():
    schedule = NoiseSchedule.constant(12, 0.15)
    mixture = book_mixture_1d()

    def predict(z, t):
        return optimal_noise(mixture, schedule.alphas[t], z)[0]

    edges = np.linspace(-3, 3, 25)
    exact = sampler_bin_masses_1d(predict, schedule, "beta", edges, np.linspace(-6, 6, 601))
    gen = np.random.default_rng(0)
    z = gen.standard_normal((100_000, 1))
    for t in range(schedule.steps, 0, -1):          # Algorithm 18.2 written out
        beta, alpha = schedule.betas[t - 1], schedule.alphas[t]
        z = (z - beta / np.sqrt(1 - alpha) * predict(z, t)) / np.sqrt(1 - beta)
        if t > 1:
            z = z + np.sqrt(beta) * gen.standard_normal(z.shape)
    simulated = histogram(z, edges)
    assert total_variation(exact, simulated) < 0.015     # ~0.007 expected from 100,000 draws in 26 bins
    assert total_variation(exact, bin_masses(mixture, edges)) > 0.02   # 12 large steps: far from the data
