"""Actor–critic (section 19.6): the bootstrapped targets are eq. 19.40 (and its n-step form), and with
the policy held fixed the critic learns that policy's values by temporal differences -- the
values that dynamic programming computes exactly (eq. 19.9)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_udl import Tensor, nn, no_grad
from tinygrad_udl.rl import policy_evaluation, softmax_policy
from tinygrad_udl.rl.actor_critic import actor_critic, actor_critic_losses, n_step_targets
from tinygrad_udl.rl.env import MDPEnv
from tinygrad_udl.zoo.rl.tasks import exploring_penguin


def _one_episode_column(rewards, next_values, terminated, ends, gamma, n):
    """y_t by walking forward from t one reward at a time (no vectorisation)."""
    T, out = len(rewards), []
    for t in range(T):
        total, k = 0.0, 0
        while True:
            j = t + k
            total += gamma**k * rewards[j]
            if terminated[j]:
                break
            if ends[j] or k == n - 1 or j == T - 1:
                total += gamma ** (k + 1) * next_values[j]
                break
            k += 1
        out.append(total)
    return out


@given(seed=st.integers(0, 10_000), T=st.integers(1, 7), E=st.integers(1, 3), n=st.integers(1, 8))
def test_n_step_targets_walk_forward_to_the_bootstrap(seed, T, E, n):
    rng = np.random.default_rng(seed)
    rewards, next_values = rng.normal(size=(T, E)), rng.normal(size=(T, E))
    terminated = rng.random((T, E)) < 0.2
    ends = terminated | (rng.random((T, E)) < 0.2)  # some episodes cut short: they bootstrap
    targets = n_step_targets(rewards, next_values, terminated, ends, 0.8, n)
    for e in range(E):
        expected = _one_episode_column(rewards[:, e], next_values[:, e], terminated[:, e], ends[:, e], 0.8, n)
        np.testing.assert_allclose(targets[:, e], expected, rtol=1e-12, atol=1e-12)


def test_one_step_targets_are_eq_19_40():
    rewards, next_values = np.array([[1.0], [2.0], [3.0]]), np.array([[10.0], [20.0], [30.0]])
    terminated = np.array([[False], [True], [False]])
    ends = np.array([[False], [True], [True]])  # the third step's episode was cut short
    np.testing.assert_allclose(n_step_targets(rewards, next_values, terminated, ends, 0.5, 1).ravel(),
                               [1 + 0.5 * 10, 2, 3 + 0.5 * 30])
    with pytest.raises(ValueError, match="one shape"):
        n_step_targets(rewards, next_values[:2], terminated, ends, 0.5)


def test_the_advantage_is_a_constant_for_the_actor():
    """d(actor loss)/d(values) = 0: the critic learns only from eq. 19.42."""
    logits = Tensor(np.array([[0.1, -0.3], [0.5, 0.2]]), requires_grad=True)
    values = Tensor(np.array([0.4, -1.0]), requires_grad=True)
    actor_loss, critic_loss = actor_critic_losses(logits, values, np.array([1, 0]), np.array([1.0, 0.5]))
    actor_loss.backward()
    assert values.grad is None or not np.any(values.grad.numpy())
    log_pi = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    advantages = np.array([1.0 - 0.4, 0.5 + 1.0])
    assert actor_loss.item() == pytest.approx(-np.mean(log_pi[[0, 1], [1, 0]] * advantages))
    assert critic_loss.item() == pytest.approx(np.mean(advantages**2))


def test_the_critic_of_a_fixed_policy_learns_its_values():
    """Policy held fixed (a random softmax table over one-hot states), a tabular critic (a Linear
    layer over one-hot states) trained by TD(0) on the penguin: it reaches the policy's exact
    values, v = (I − γ·P_π)⁻¹·r_π (eq. 19.9), to within 0.2 in every state (they span −3..3)."""
    penguin = exploring_penguin()
    actor, critic = nn.Linear(16, 4, rng=0), nn.Linear(16, 1, rng=0)
    with no_grad():
        actor.weight.data[:] = np.random.default_rng(1).normal(size=(4, 16))
    table = actor(Tensor(np.eye(16, dtype=np.float32))).numpy().astype(np.float64)
    exact = policy_evaluation(penguin, softmax_policy(table), method="solve").values
    before = actor.weight.numpy().copy()
    actor_critic(lambda: MDPEnv(penguin, max_episode_steps=100), actor, critic, 100_000, gamma=penguin.gamma,
                 n_envs=8, n_steps=8, td_steps=1, critic_lr=1e-2, train_actor=False, seed=0)
    learned = critic(Tensor(np.eye(16, dtype=np.float32))).numpy().ravel()
    np.testing.assert_array_equal(actor.weight.numpy(), before)
    assert np.abs(exact).max() > 2.0
    assert np.abs(learned - exact).max() < 0.2, np.round(learned - exact, 2)
