"""REINFORCE (section 19.5): its gradient estimate averages to the exact gradient of the expected
return, which the Tensor engine computes by differentiating policy evaluation, itself checked by
central differences of a linear solve."""
import numpy as np
import pytest

from tinygrad_udl import Tensor
from tinygrad_udl.rl import (MDP, exact_policy_gradient, penguin_gridworld, policy_return, reinforce,
                             reinforce_gradient, sample_episodes, softmax_policy)

from .mdps import policy_value


@pytest.fixture(scope="module")
def small():
    """3 states, 2 actions, state 2 terminal, starting in state 0, γ = 0.9, and a random θ."""
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(3), size=(3, 2))
    R = rng.uniform(-1, 1, (3, 2))
    return MDP(P, R, 0.9, terminal=[2], start=0), rng.normal(size=(3, 2))


def expected_return(mdp, theta):
    pi = np.exp(theta - theta.max(axis=1, keepdims=True))
    return mdp.start @ policy_value(mdp, pi / pi.sum(axis=1, keepdims=True))


def test_the_exact_gradient_matches_central_differences(small):
    mdp, theta = small
    J, grad = exact_policy_gradient(theta, mdp)
    assert J == pytest.approx(expected_return(mdp, theta), abs=1e-10)
    h, fd = 1e-6, np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = h
        fd[index] = (expected_return(mdp, theta + step) - expected_return(mdp, theta - step)) / (2 * h)
    assert np.abs(grad - fd).max() < 1e-7


def test_policy_return_is_a_tensor_of_the_engine(small):
    mdp, theta = small
    J = policy_return(Tensor(theta, requires_grad=True), mdp)
    assert isinstance(J, Tensor) and J.shape == ()


def _batch_estimates(mdp, theta, baseline, n_batches=25, per_batch=4000, seed=0):
    rng = np.random.default_rng(seed)
    pi = softmax_policy(theta)
    return np.array([reinforce_gradient(theta, sample_episodes(mdp, pi, per_batch, 500, rng), mdp.gamma, baseline)
                     for _ in range(n_batches)])


def test_reinforce_is_unbiased_with_and_without_a_baseline(small):
    mdp, theta = small
    _, exact = exact_policy_gradient(theta, mdp)
    values = policy_value(mdp, softmax_policy(theta))
    spreads = []
    for baseline in (0.0, 0.7, values):  # none, a constant (eq. 19.34), per state (eq. 19.38)
        estimates = _batch_estimates(mdp, theta, baseline)
        standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
        assert np.all(np.abs(estimates.mean(axis=0) - exact) <= 4.5 * standard_error + 1e-12)
        spreads.append(estimates.var(axis=0, ddof=1).sum())
    assert spreads[2] < spreads[0]  # the value of the state is the better baseline


def test_dropping_the_discount_of_the_steps_biases_the_estimate(small):
    mdp, theta = small
    _, exact = exact_policy_gradient(theta, mdp)
    rng = np.random.default_rng(1)
    episodes = sample_episodes(mdp, softmax_policy(theta), 100_000, 500, rng)
    with_discount = reinforce_gradient(theta, episodes, mdp.gamma)
    without = reinforce_gradient(theta, episodes, mdp.gamma, discount_steps=False)
    assert np.abs(without - exact).max() > 5 * np.abs(with_discount - exact).max()


def test_reinforce_learns_to_reach_the_fish():
    result = reinforce(penguin_gridworld(), 250, episodes_per_iteration=32, learning_rate=0.5, rng=0)
    assert result.expected_returns[-1] > result.expected_returns[0] + 0.8
    assert 0 <= result.return_gap < 0.2
    assert np.allclose(result.policy.sum(axis=1), 1.0)


def test_bad_arguments_are_refused(small):
    mdp, theta = small
    episodes = sample_episodes(mdp, softmax_policy(theta), 5, 50, 0)
    with pytest.raises(ValueError, match=r"baseline per state must have shape \(3,\)"):
        reinforce_gradient(theta, episodes, 0.9, baseline=np.zeros(4))
    with pytest.raises(ValueError, match="baseline must be None, 'mean' or 'state'"):
        reinforce(mdp, 1, baseline="median")
    with pytest.raises(ValueError, match=r"theta must be a Tensor of shape \(3, 2\)"):
        policy_return(Tensor(np.zeros((2, 2))), mdp)
    with pytest.raises(ValueError, match="gamma < 1"):
        policy_return(Tensor(np.zeros((3, 2))), MDP(mdp.P, mdp.R, 1.0, terminal=[2]))
