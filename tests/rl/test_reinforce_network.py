"""REINFORCE with a policy network (section 19.5.2): the gradient of `reinforce_loss` is minus an
unbiased estimate of the gradient of the expected return. The exact gradient comes from
backpropagating through the Bellman sweeps of `policy_return` with the network's logits for every
state as the table (the approach of `exact_policy_gradient`, itself checked against central
differences in test_agents.py); and a short CartPole run beats the random policy."""
import numpy as np
import pytest

from tinygrad_udl import Tensor, no_grad
from tinygrad_udl.rl import MDP, policy_return, sample_episodes
from tinygrad_udl.rl.agents import policy_gradient_surrogate, reinforce_loss, reinforce_network, reinforce_weights
from tinygrad_udl.rl.rollout import EnvPool, greedy_returns
from tinygrad_udl.zoo.rl.networks import PolicyNetwork, ValueNetwork
from tinygrad_udl.zoo.rl.tasks import make_cartpole

from .mdps import policy_value


@pytest.fixture(scope="module")
def small():
    """3 states (one-hot inputs), 2 actions, state 2 terminal, start in state 0, γ = 0.9; a 3-4-2
    policy network in float64 with a random last layer (so the policy is not uniform)."""
    rng = np.random.default_rng(3)
    mdp = MDP(rng.dirichlet(np.ones(3), size=(3, 2)), rng.uniform(-1, 1, (3, 2)), 0.9, terminal=[2], start=0)
    net = PolicyNetwork(3, 2, (4,), rng=0, dtype=np.float64)
    with no_grad():
        net[2].weight.data[:] = rng.normal(size=(2, 4))
    return mdp, net


def _gradients(net):
    return np.concatenate([p.grad.numpy().ravel() for p in net.parameters()])


def _exact_gradient(mdp, net):
    net.zero_grad()
    policy_return(net(Tensor(np.eye(3))), mdp).backward()
    return _gradients(net)


def _policy(net):
    with no_grad():
        return net(Tensor(np.eye(3))).softmax(axis=-1).numpy()


def test_reinforce_with_a_network_is_unbiased(small):
    mdp, net = small
    exact = _exact_gradient(mdp, net)
    pi = _policy(net)
    values = policy_value(mdp, pi)  # a state-dependent baseline (eq. 19.38)
    rng = np.random.default_rng(0)
    for baseline in (None, values):
        estimates = []
        for _ in range(25):
            episodes = sample_episodes(mdp, pi, 4000, 500, rng)
            b = 0.0 if baseline is None else baseline[episodes.states]
            net.zero_grad()
            reinforce_loss(net, np.eye(3)[episodes.states], episodes.actions, episodes.rewards, episodes.mask,
                           mdp.gamma, b).backward()
            estimates.append(-_gradients(net))
        estimates = np.array(estimates)
        standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
        assert np.all(np.abs(estimates.mean(axis=0) - exact) <= 4.5 * standard_error + 1e-12)
        assert standard_error.max() < 0.1 * np.abs(exact).max()  # precise enough to see a bias


def test_the_weights_and_the_surrogate_are_the_books():
    rewards = np.array([[1.0, 2.0, 0.0], [0.5, 0.0, 0.0]])  # the second episode has one step
    gamma, baseline = 0.5, np.array([[0.1, 0.2, 0.0], [0.3, 0.0, 0.0]])
    returns = np.array([[1 + 0.5 * 2, 2.0, 0.0], [0.5, 0.0, 0.0]])  # eq. 19.32
    expected = np.array([[1, 0.5, 0.25]]) * (returns - baseline) / 2  # γ^t (r[τ_it] − b)/I, eqs. 19.33, 19.38
    np.testing.assert_allclose(reinforce_weights(rewards, gamma, baseline), expected)
    np.testing.assert_allclose(reinforce_weights(rewards, gamma, baseline, discount_steps=False)[0, 1],
                               (2.0 - 0.2) / 2)
    logits = Tensor(np.array([[0.0, np.log(3.0)], [1.0, 1.0]]))
    value = policy_gradient_surrogate(logits, [1, 0], [2.0, -1.0]).item()
    assert value == pytest.approx(-(2.0 * np.log(0.75) - 1.0 * np.log(0.5)))
    with pytest.raises(ValueError, match="must agree"):
        reinforce_loss(PolicyNetwork(3, 2, (4,)), np.zeros((2, 3, 3)), np.zeros((2, 2), int), rewards, rewards != 0,
                       gamma)


def test_a_short_cartpole_run_beats_the_random_policy():
    """20 updates of 8 episodes each (seeded): the greedy policy's return over 10 seeded episodes
    is more than three times that of the uniformly random policy on the same episodes (~22)."""
    rng = np.random.default_rng(0)
    random_play = EnvPool(make_cartpole, 10, seed=1).episodes(lambda x: rng.integers(0, 2, len(x))).returns.mean()
    policy = PolicyNetwork(rng=0)
    result = reinforce_network(make_cartpole, policy, 20, value_network=ValueNetwork(rng=1), lr=3e-3, seed=0)
    trained = greedy_returns(make_cartpole, policy, 10, seed=1).mean()
    assert 10 < random_play < 40
    assert trained > 3 * random_play, (trained, random_play)
    assert result.record.episode_returns[-8:].mean() > 2 * random_play
    assert result.record.steps == result.record.rows[-1]["step"] > 0
