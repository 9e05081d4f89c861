"""Chapter 17's VAEs against references computed here, independently.

Oracles: the KL of eq. 17.24 written out in numpy; the linear VAE's exact log-likelihood by scipy;
the bound ordering ELBO <= IWAE_K <= IWAE_K' <= log Pr(x) for K < K' (Burda et al., 2016) with
Monte Carlo error bars; reparameterised gradients against central finite differences of the
fixed-noise ELBO (float64); the posterior-collapse prediction against the ELBO's KL at the
closed-form optimum; parameter counts against formulas written here.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from support.finite_differences import numerical_grad

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.zoo.generative.vae import (LinearVAE, MLPVAE, collapse_prediction, ppca_fit, ppca_log_likelihood,
                                             sample_ppca)
from tinygrad_udl.zoo.generative.vae.tasks import PPCA_MEAN, PPCA_NOISE_STD, PPCA_WEIGHT


def linear_vae(seed=0, latent_dim=2, data_dim=5, decoder_variance=None):
    """A linear VAE with random parameters (float64): a non-diagonal true posterior, so the ELBO has a gap."""
    model = LinearVAE(data_dim, latent_dim, decoder_variance=decoder_variance, rng=seed, dtype=np.float64)
    gen = np.random.default_rng(seed + 1)
    for name, p in model.named_parameters():
        p.data[...] = gen.normal(0.0, 0.7, p.shape)
    return model


def test_the_kl_term_is_eq_17_24():
    model = MLPVAE(6, latent_dim=3, hidden=(5,), likelihood="gaussian", rng=0, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((4, 6))
    mu, log_var = (t.data for t in model.encode(Tensor(x)))
    _, kl = model.elbo_terms(x, rng=0)
    np.testing.assert_allclose(kl.data, 0.5 * (np.exp(log_var) + mu ** 2 - 1 - log_var), atol=1e-12)


def test_the_exact_log_likelihood_is_the_ppca_marginal():
    model = linear_vae(1)
    x = np.random.default_rng(2).standard_normal((10, 5))
    w, mu, var = model.decoder.weight.data, model.decoder.bias.data, np.exp(model.decoder_log_var.data)
    expected = multivariate_normal(mu, w @ w.T + var * np.eye(5)).logpdf(x)
    np.testing.assert_allclose(model.exact_log_likelihood(x).data, expected, atol=1e-10)
    np.testing.assert_allclose(ppca_log_likelihood(x, w, mu, var), expected, atol=1e-10)


def _mean_and_error(values):
    return values.mean(), 3 * values.std() / np.sqrt(len(values))


def test_elbo_below_iwae_below_the_exact_log_likelihood_and_iwae_rises_with_k():
    model = linear_vae(3)
    x = np.random.default_rng(4).standard_normal((1, 5)) * 2
    exact = model.exact_log_likelihood(x).item()
    repeats = 2_000
    elbo = np.array([model.elbo(x, rng=r).item() for r in range(repeats)])
    elbo_mean, elbo_error = _mean_and_error(elbo)
    previous = elbo_mean
    for k in (5, 50, 500):
        bound = model.iwae(np.repeat(x, 200, 0), k, rng=k).data     # 200 independent estimates of L_K
        mean, error = _mean_and_error(bound)
        assert previous < mean + error and mean < exact + error, (k, previous, mean, exact)
        assert mean > previous - error
        previous = mean
    assert elbo_mean + elbo_error < exact                     # a real gap: q is diagonal, the posterior is not
    assert exact - previous < 0.1 * (exact - elbo_mean)        # L_500 closes most of it


def test_iwae_with_one_sample_estimates_the_elbo():
    # L_1 = E[log Pr(x | z) + log Pr(z) − log q(z | x)] is the ELBO (eqs. 17.14-17.18): the same expectation
    # as eq. 17.23's estimator, which takes the KL term in closed form instead
    model = linear_vae(5)
    x = np.repeat(np.random.default_rng(6).standard_normal((1, 5)), 20_000, 0)
    l1, l1_error = _mean_and_error(model.iwae(x, 1, rng=7).data)
    elbo, elbo_error = _mean_and_error(model.elbo(x, rng=8).data)
    assert abs(l1 - elbo) < l1_error + elbo_error


def test_reparameterised_gradients_match_finite_differences_of_the_fixed_noise_elbo():
    model = MLPVAE(6, latent_dim=2, hidden=(4,), likelihood="gaussian", rng=1, dtype=np.float64)
    x = np.random.default_rng(8).standard_normal((3, 6))
    loss = lambda: -model.elbo(x, rng=11).mean()
    for p in model.parameters():
        p.grad = None
    loss().backward()
    for name, p in model.named_parameters():
        saved = p.data.copy()

        def at(values):
            p.data[...] = values
            try:
                return loss().item()
            finally:
                p.data[...] = saved
        np.testing.assert_allclose(p.grad, numerical_grad(at, saved), rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_gradient_check_of_a_tiny_vae(likelihood):
    model = MLPVAE(5, latent_dim=2, hidden=(3,), likelihood=likelihood, rng=2)
    x = (np.random.default_rng(9).uniform(size=(4, 5)) > 0.5).astype(np.float64)
    report = check_module(model, [x], loss_fn=lambda elbo: -elbo.mean())
    assert report.ok, str(report)
    report = check_module(linear_vae(2), [np.random.default_rng(9).standard_normal((4, 5))],
                          loss_fn=lambda elbo: -elbo.mean())
    assert report.ok, str(report)


def test_calling_the_model_is_deterministic_and_training_noise_is_fresh():
    model = MLPVAE(5, latent_dim=2, hidden=(3,), rng=0)
    x = (np.random.default_rng(0).uniform(size=(4, 5)) > 0.5).astype(np.float32)
    assert np.array_equal(model(x).data, model(x).data)
    gen = np.random.default_rng(1)
    assert not np.array_equal(model.elbo(x, gen).data, model.elbo(x, gen).data)


@given(data_dim=st.integers(1, 70), latent_dim=st.integers(1, 9), hidden=st.lists(st.integers(1, 20), min_size=1,
                                                                                    max_size=3))
@settings(max_examples=25)
def test_parameter_counts_are_the_docstrings_formulas(data_dim, latent_dim, hidden):
    mlp = lambda sizes: sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))   # Σ (D_k + 1) D_{k+1}
    networks = mlp([data_dim, *hidden, 2 * latent_dim]) + mlp([latent_dim, *hidden[::-1], data_dim])
    assert MLPVAE(data_dim, latent_dim, hidden).num_parameters() == networks
    assert MLPVAE(data_dim, latent_dim, hidden, likelihood="gaussian").num_parameters() == networks + data_dim
    linear = (data_dim + 1) * latent_dim + latent_dim + (latent_dim + 1) * data_dim
    assert LinearVAE(data_dim, latent_dim).num_parameters() == linear + 1
    assert LinearVAE(data_dim, latent_dim, decoder_variance=0.3).num_parameters() == linear


def test_the_digits_vae_has_the_docstrings_count():
    assert MLPVAE(64, 8, (128,)).num_parameters() == 65 * 128 + 129 * 16 + 9 * 128 + 129 * 64 == 19_792


def test_ppca_fit_is_the_maximum_likelihood():
    x = sample_ppca(3_000, PPCA_WEIGHT, PPCA_MEAN, PPCA_NOISE_STD, rng=0)
    w, mu, var = ppca_fit(x, 3)
    best = ppca_log_likelihood(x, w, mu, var).mean()
    assert best >= ppca_log_likelihood(x, PPCA_WEIGHT, PPCA_MEAN, PPCA_NOISE_STD ** 2).mean()
    gen = np.random.default_rng(1)
    for _ in range(20):   # any perturbation lowers the training log-likelihood
        assert best > ppca_log_likelihood(x, w + 0.05 * gen.standard_normal(w.shape), mu, var * 1.05).mean()
    assert var == pytest.approx(PPCA_NOISE_STD ** 2, rel=0.1)


def test_collapse_prediction_is_the_kl_of_the_closed_form_optimum():
    # the optimum with σ² fixed: W = U (Λ − σ²)^½ (zero columns where λ <= σ²) and the exact posterior
    # of z, N(M⁻¹ Wᵀ(x − μ), σ² M⁻¹) with M = WᵀW + σ² I, which is diagonal because W's columns are orthogonal
    x = sample_ppca(4_000, PPCA_WEIGHT, PPCA_MEAN, PPCA_NOISE_STD, rng=3)
    variance = 1.5
    w, mu, _ = ppca_fit(x, 4, noise_variance=variance)
    m = w.T @ w + variance * np.eye(4)
    model = LinearVAE(8, 4, decoder_variance=variance, rng=0, dtype=np.float64)
    model.decoder.weight.data[...], model.decoder.bias.data[...] = w, mu
    model.encoder.weight.data[...] = np.linalg.solve(m, w.T)
    model.encoder.bias.data[...] = -np.linalg.solve(m, w.T) @ mu
    model.encoder_log_var.data[...] = np.log(variance / np.diag(m))
    _, kl = model.elbo_terms(x, rng=0)
    np.testing.assert_allclose(kl.data.mean(0), collapse_prediction(x, 4, variance), atol=1e-9)
    assert (collapse_prediction(x, 4, variance) > 0).sum() == 2          # λ = 4.25, 2.25 > 1.5 > 1.25, 0.25
    # and there the ELBO equals the exact log-likelihood: the bound is tight
    elbos = np.mean([model.elbo(x[:5], rng=r).data for r in range(4_000)], axis=0)
    np.testing.assert_allclose(elbos, model.exact_log_likelihood(x[:5]).data, atol=0.05)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="likelihood"):
        MLPVAE(4, likelihood="poisson")
    with pytest.raises(ValueError, match="decoder_variance"):
        LinearVAE(4, 2, decoder_variance=0.0)
    with pytest.raises(ValueError, match="samples"):
        linear_vae().iwae(np.zeros((1, 5)), 0, rng=0)
