"""Chapter 15's objectives against formulas written out here, and the gradient penalty's gradient
(second order through the critic) against central finite differences of its value in float64.

Oracles: eq. 15.3 with scipy's log-sigmoid (log(1 − sig f) = log sig(−f), accurate where
1 − sig f rounds); eq. 15.5 and the non-saturating loss likewise;
eq. 15.16's difference of scores; for a linear critic f[x] = w·x + b, ∂f/∂x = w everywhere, so
the penalty is (‖w‖ − 1)² exactly; `tests/support/finite_differences.numerical_grad`.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_expit

import tinygrad_udl as tg
from support.finite_differences import numerical_grad
from tinygrad_udl import Tensor, nn
from tinygrad_udl.zoo.generative.gans import (GAN1D, RingWGAN, clip_weights_, critic_terms, discriminator_terms,
                                              generator_loss, gradient_penalty_terms)
from tinygrad_udl.zoo.generative.gans.networks import mlp



logits = st.lists(st.floats(-20, 20), min_size=1, max_size=8)


@given(logits, st.integers(0, 2 ** 32 - 1))
def test_discriminator_terms_are_eq_15_3(real, seed):
    real = np.array(real)
    fake = np.random.default_rng(seed).normal(0, 5, real.shape)
    expected = -log_expit(real) - log_expit(-fake)
    np.testing.assert_allclose(discriminator_terms(Tensor(real), Tensor(fake)).data, expected, rtol=1e-9, atol=1e-9)


@given(logits)
def test_generator_losses_saturating_eq_15_5_and_non_saturating(fake):
    fake = np.array(fake)
    saturating = generator_loss(Tensor(fake), saturating=True).item()
    assert saturating == pytest.approx(np.mean(log_expit(-fake)), rel=1e-9, abs=1e-9)
    assert generator_loss(Tensor(fake), saturating=False).item() == pytest.approx(
        np.mean(-log_expit(fake)), rel=1e-9, abs=1e-9)


def test_losses_stay_finite_for_confident_logits():
    big = Tensor(np.array([1e4, -1e4]))
    assert np.isfinite(discriminator_terms(big, -big).data).all()
    assert np.isfinite(generator_loss(big, saturating=True).item())


def test_critic_terms_are_eq_15_16_and_pairs_must_match():
    np.testing.assert_allclose(critic_terms(Tensor(np.array([[1.0], [2.0]])), Tensor(np.array([[0.5], [4.0]]))).data,
                               [-0.5, 2.0])
    with pytest.raises(ValueError, match="pair them"):
        critic_terms(Tensor(np.zeros(3)), Tensor(np.zeros(2)))
    with pytest.raises(ValueError, match="one logit per example"):
        discriminator_terms(Tensor(np.zeros((3, 2))), Tensor(np.zeros((3, 2))))


@given(st.integers(1, 4), st.integers(0, 2 ** 32 - 1))
def test_penalty_of_a_linear_critic_is_the_squared_norm_gap(dim, seed):
    rng = np.random.default_rng(seed)
    critic = nn.Linear(dim, 1, dtype=np.float64, rng=rng)
    real, fake = Tensor(rng.normal(size=(5, dim))), Tensor(rng.normal(size=(5, dim)))
    terms = gradient_penalty_terms(critic, real, fake, rng.uniform(size=5))
    expected = (np.linalg.norm(critic.weight.data) - 1.0) ** 2
    np.testing.assert_allclose(terms.data, np.full(5, expected), rtol=1e-9, atol=1e-12)


def _penalty_gradient_matches_finite_differences(critic, dim, seed):
    rng = np.random.default_rng(seed)
    real, fake, mix = Tensor(rng.normal(size=(6, dim))), Tensor(rng.normal(size=(6, dim))), rng.uniform(size=6)
    params = list(critic.parameters())
    penalty = gradient_penalty_terms(critic, real, fake, mix).mean()
    grads = tg.grad(penalty, params, allow_unused=True)  # differentiates through ∂f/∂x̂: second order
    for p, g in zip(params, grads):
        def value(array, p=p):
            saved = p.data
            p.data = array
            try:
                return gradient_penalty_terms(critic, real, fake, mix).mean().item()
            finally:
                p.data = saved

        expected = numerical_grad(value, p.data)
        got = np.zeros_like(p.data) if g is None else g.data   # None: the penalty ignores p (a last bias)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@settings(max_examples=10)
@given(st.integers(0, 2 ** 32 - 1))
def test_penalty_gradient_of_the_ring_critic_against_finite_differences(seed):
    critic = mlp([2, 5, 4, 1], leaky=True, rng=seed, dtype=np.float64)   # the ring critic's shape
    _penalty_gradient_matches_finite_differences(critic, 2, seed)


@settings(max_examples=10)
@given(st.integers(0, 2 ** 32 - 1))
def test_penalty_gradient_of_a_smooth_critic_against_finite_differences(seed):
    # tanh: the slope ∂f/∂x̂ depends on x̂ through tanh' as well, so the second-order rules of
    # tanh (not only of linear layers) are on the path
    rng = np.random.default_rng(seed)
    critic = nn.Sequential(nn.Linear(3, 6, dtype=np.float64, rng=rng), nn.Tanh(),
                           nn.Linear(6, 1, dtype=np.float64, rng=rng))
    _penalty_gradient_matches_finite_differences(critic, 3, seed)


def test_weight_clipping_keeps_every_parameter_within_the_bound():
    critic = mlp([2, 8, 8, 1], leaky=True, rng=0)
    clip_weights_(critic, 0.01)
    values = np.concatenate([p.data.ravel() for p in critic.parameters()])
    assert values.min() >= -0.01 and values.max() <= 0.01 and (np.abs(values) == 0.01).any()
    with pytest.raises(ValueError, match="bound must be > 0"):
        clip_weights_(critic, 0.0)


def test_a_wgan_discriminator_step_ends_with_clipped_weights():
    model = RingWGAN(latent=2, hidden=8, clip=0.01, rng=0)
    optimizer = tg.optim.RMSprop(model.critic.parameters(), lr=0.1)   # large steps: they must be clipped back
    x = Tensor(np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32))
    for _ in range(3):
        loss = model.discriminator_terms(x, np.random.default_rng(1), detach=True).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.after_discriminator_step()
        assert all(np.abs(p.data).max() <= 0.01 for p in model.critic.parameters())
    assert any(np.abs(p.data).max() > 0.01 for p in model.generator.parameters())  # only the critic is clipped


def test_the_game_value_is_deterministic_and_detaching_stops_the_generator_gradient():
    model = GAN1D(rng=0)
    x = Tensor(np.full((8, 1), 6.0, np.float32))
    np.testing.assert_array_equal(model(x).data, model(x).data)   # fixed noise: a function of the parameters
    model.discriminator_terms(x, np.random.default_rng(0), detach=True).mean().backward()
    assert model.generator.theta.grad is None and model.discriminator.weight.grad is not None
