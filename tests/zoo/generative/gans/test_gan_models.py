"""Chapter 15's models: parameter counts against formulas written here, gradient checks of tiny
instances, the 1-D game's exact equilibrium, the DCGAN recipe, the zoo entries and their pictures.

Oracles: Σ (D_k + 1) D_{k+1} for the fully connected players and the convolution counts
(C_in·C_out·K² + C_out) layer by layer; central finite differences (`check_module`, float64); for
the 1-D game, the optimum of eq. 15.7 found by scipy's minimiser, and eqs. 15.8-15.9's
log 4 − 2·JS with the Jensen-Shannon divergence integrated numerically (scipy's quad).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.stats import norm

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.nn import BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, Tanh
from tinygrad_udl.zoo.generative.gans import (DCGAN, GAN1D, DigitsClassifier, RingGAN, RingWGAN, RingWGANGP,
                                              WassersteinCritic1D, optimal_discriminator)
from tinygrad_udl.zoo.generative.gans.toy1d import expected_discriminator_loss
from tinygrad_udl.zoo.registry import registry

NAMES = ["gan-1d", "gan-ring", "wgan-ring", "wgan-gp-ring", "wgan-1d", "dcgan-digits"]
ENTRIES = [registry()[name] for name in NAMES]


def _mlp(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


# ---- parameter counts ---------------------------------------------------------------------------------------


@settings(max_examples=10)
@given(st.integers(1, 6), st.integers(1, 9))
def test_ring_players_have_the_fully_connected_count(latent, hidden):
    expected = _mlp([latent, hidden, hidden, 2]) + _mlp([2, hidden, hidden, 1])
    for model in (RingGAN, RingWGAN, RingWGANGP):
        assert model(latent=latent, hidden=hidden).num_parameters() == expected


def test_default_counts():
    assert GAN1D().num_parameters() == 3                                   # θ, φ₀, φ₁
    assert RingGAN().num_parameters() == _mlp([8, 64, 64, 2]) + _mlp([2, 64, 64, 1]) == 9_283
    assert WassersteinCritic1D().num_parameters() == _mlp([1, 64, 64, 1]) == 4_353   # the fixed q has none
    assert DigitsClassifier().num_parameters() == (9 + 1) * 16 + (16 * 9 + 1) * 32 + (32 * 9 + 1) * 64 + 65 * 10


def _conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


@settings(max_examples=10)
@given(st.integers(1, 5), st.sampled_from([2, 4, 6]), st.integers(1, 4))
def test_dcgan_count(latent, g, d):
    generator = (latent + 1) * 4 * g + 2 * g + _conv(g, g // 2, 4) + 2 * (g // 2) + _conv(g // 2, 1, 4)
    discriminator = _conv(1, d, 4) + _conv(d, 2 * d, 4) + 2 * (2 * d) + _conv(2 * d, 1, 2)
    model = DCGAN(latent=latent, generator_channels=g, discriminator_channels=d)
    assert model.generator.num_parameters() == generator
    assert model.discriminator.num_parameters() == discriminator
    assert DCGAN().num_parameters() == 75_714


# ---- every entry: the game's value, gradient checks, reproducibility ---------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_gradient_check_of_the_tiny_model(entry):
    model = entry.build(rng=1, tiny=True)
    model.train()
    x, y = entry.example_inputs(n=3)
    report = check_module(model, [x], loss_fn=lambda out: entry.task.loss_fn(out, y))
    assert report.ok, str(report)


@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_the_model_gives_one_loss_per_real_example(entry):
    model = entry.build(rng=0)
    x, y = entry.example_inputs(n=4)
    out = model(x)
    assert out.shape == (4,) and np.isfinite(out.data).all()
    assert entry.task.loss_fn(out, y).item() == pytest.approx(out.data.mean(), rel=1e-6)
    assert model.sample(5, 0).shape == (5, *x.shape[1:])


@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_seeds_make_models_reproducible(entry):
    a, b, c = (entry.build(rng=seed).state_dict() for seed in (3, 3, 4))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a[k], c[k]) for k in a)


def test_sampling_restores_the_training_mode():
    model = DCGAN(rng=0)
    model.train()
    model.sample(4, 0)
    assert model.training and model.generator.net[0].training


# ---- the 1-D game of fig. 15.1 -------------------------------------------------------------------------------


@settings(max_examples=15)
@given(st.floats(3, 9), st.floats(-2.5, 2.5))
def test_eq_15_7_is_the_minimiser_of_the_expected_discriminator_loss(mean, gap):
    # overlapping distributions: farther apart the loss is too flat near its optimum to locate it well
    theta = mean + gap
    closed = optimal_discriminator(theta, mean)
    found = minimize(lambda phi: expected_discriminator_loss(phi, theta, mean), x0=[0.0, 0.0], method="BFGS",
                     options={"gtol": 1e-10}).x
    np.testing.assert_allclose(found, closed, rtol=1e-4, atol=1e-4)


@settings(max_examples=15)
@given(st.floats(-2, 8), st.floats(0, 8))
def test_the_optimal_loss_is_log_4_minus_twice_the_jensen_shannon_divergence(theta, mean):
    # eqs. 15.8-15.9: the value function at the optimal discriminator is 2 JS − log 4
    p, q = norm(mean, 1), norm(theta, 1)
    m = lambda x: (p.pdf(x) + q.pdf(x)) / 2   # noqa: E731
    low, high = min(theta, mean) - 12, max(theta, mean) + 12
    kl = lambda a: quad(lambda x: a.pdf(x) * math.log(a.pdf(x) / m(x)) if a.pdf(x) > 0 else 0.0,  # noqa: E731
                        low, high, limit=200, points=[theta, mean])[0]
    js = (kl(p) + kl(q)) / 2
    loss = expected_discriminator_loss(optimal_discriminator(theta, mean), theta, mean)
    assert loss == pytest.approx(math.log(4) - 2 * js, abs=1e-7)


def test_at_the_equilibrium_the_loss_is_log_4_and_the_discriminator_at_chance():
    assert expected_discriminator_loss((0.0, 0.0), 6.0, 6.0) == pytest.approx(math.log(4), rel=1e-12)
    assert optimal_discriminator(6.0, 6.0) == (0.0, 0.0)


# ---- the DCGAN recipe (section 15.1.4) ---------------------------------------------------------------------


def test_dcgan_follows_the_recipe():
    model = DCGAN(rng=0)
    generator_layers = list(model.generator.net)
    discriminator_layers = list(model.discriminator)
    assert isinstance(generator_layers[-2], ConvTranspose2d) and isinstance(generator_layers[-1], Tanh)  # no BN last
    assert sum(isinstance(m, ConvTranspose2d) for m in generator_layers) == 2                 # 2 → 4 → 8
    assert isinstance(discriminator_layers[0], Conv2d) and isinstance(discriminator_layers[1], LeakyReLU)  # no BN 1st
    assert any(isinstance(m, BatchNorm2d) for m in discriminator_layers)
    assert all(m.stride == (2, 2) for m in discriminator_layers[:3] if isinstance(m, Conv2d))  # strided, no pooling
    images = model.sample(6, 0)
    assert images.shape == (6, 1, 8, 8) and np.abs(images).max() <= 1.0                      # tanh range
    assert model.latent(1000, np.random.default_rng(0)).data.min() >= -1.0                    # uniform latent


def test_digits_classifier_maps_images_to_ten_logits_and_64_features():
    model = DigitsClassifier(rng=0)
    x = Tensor(np.zeros((3, 1, 8, 8), np.float32))
    assert model(x).shape == (3, 10) and model.hidden(x).shape == (3, 64)


# ---- the zoo entries and their pictures ---------------------------------------------------------------------


def test_the_entries_are_registered_in_book_order_with_sections():
    names = list(registry())
    assert [n for n in names if n in NAMES] == NAMES
    assert names.index("gan-1d") > names.index("unet1d")   # after the supervised chapters
    for entry in ENTRIES:
        assert entry.section.startswith("15") and entry.source and entry.factory.__doc__


@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_each_entry_draws_its_picture(entry, tmp_path):
    pytest.importorskip("matplotlib")
    (path,) = entry.pictures(entry.build(rng=0), None, entry.task.load(), tmp_path)
    assert path.parent == tmp_path and path.read_bytes()[:4] == b"\x89PNG"
