"""Fitted Q-learning and DQN (section 19.4): the target is a constant for the gradient (eqs.
19.16–19.18), the targets and losses are the book's formulas, and DQN with one-hot states learns
the penguin's optimal policy that dynamic programming computes exactly."""
import numpy as np
import pytest

from support.finite_differences import numerical_grad
from tinygrad_udl import Tensor, parameters_to_vector, vector_to_parameters
from tinygrad_udl.rl import penguin_gridworld, policy_evaluation, tied_greedy_policy, value_iteration
from tinygrad_udl.rl.dqn import dqn, fitted_q_loss, linear_epsilon, q_learning_targets
from tinygrad_udl.zoo.rl.networks import QNetwork
from tinygrad_udl.zoo.rl.tasks import make_penguin_env

GAMMA = 0.9


@pytest.fixture(scope="module")
def transitions():
    rng = np.random.default_rng(0)
    states, next_states = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    return states, rng.integers(0, 2, 6), rng.normal(size=6), next_states, np.array([0, 1, 0, 0, 1, 0], bool)


def _network():
    return QNetwork(3, 2, (5,), rng=1, dtype=np.float64)


def _q(net, vector, states):
    vector_to_parameters(Tensor(vector), net.parameters())
    return net(Tensor(states)).numpy()


@pytest.mark.parametrize("loss", ["squared", "huber"])
def test_the_target_carries_no_gradient(transitions, loss):
    """Eq. 19.17: with φ⁻ = φ the target depends on φ too, but the step differentiates only the
    prediction. Our gradient must equal central differences of the loss with the target frozen
    as a numpy array, and differ from those of the loss with the target left to move."""
    states, actions, rewards, next_states, terminated = transitions
    net = _network()
    targets = q_learning_targets(net, rewards, next_states, terminated, GAMMA)
    value = fitted_q_loss(net(Tensor(states)), actions, targets, loss)
    net.zero_grad()
    value.backward()
    ours = np.concatenate([p.grad.numpy().ravel() for p in net.parameters()])
    phi = parameters_to_vector(net.parameters()).numpy().copy()
    rows = np.arange(len(actions))

    def ell(d):
        return d**2 if loss == "squared" else np.where(np.abs(d) <= 1, 0.5 * d**2, np.abs(d) - 0.5)

    def frozen(vector):
        return ell(_q(_network(), vector, states)[rows, actions] - targets).mean()

    def moving(vector):
        net = _network()
        y = rewards + GAMMA * np.where(terminated, 0.0, _q(net, vector, next_states).max(axis=1))
        return ell(_q(net, vector, states)[rows, actions] - y).mean()

    assert np.abs(ours - numerical_grad(frozen, phi)).max() < 1e-7
    assert np.abs(ours - numerical_grad(moving, phi)).max() > 1e-3


def test_the_targets_are_eq_19_18_and_double_dqn_eq_19_21(transitions):
    _, _, rewards, next_states, terminated = transitions
    online, target = _network(), QNetwork(3, 2, (5,), rng=2, dtype=np.float64)
    q_online, q_target = online(Tensor(next_states)).numpy(), target(Tensor(next_states)).numpy()
    expected = [r if done else r + GAMMA * max(row) for r, done, row in zip(rewards, terminated, q_target)]
    np.testing.assert_allclose(q_learning_targets(target, rewards, next_states, terminated, GAMMA), expected)
    double = [r if done else r + GAMMA * row[np.argmax(choice)]
              for r, done, row, choice in zip(rewards, terminated, q_target, q_online)]
    np.testing.assert_allclose(q_learning_targets(target, rewards, next_states, terminated, GAMMA, online), double)


def test_the_losses_and_the_exploration_schedule():
    q = Tensor(np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]))
    actions, targets = np.array([1, 0, 0]), np.array([2.5, 2.0, 3.0])
    d = np.array([-0.5, -2.0, 0.0])
    assert fitted_q_loss(q, actions, targets).item() == pytest.approx(np.mean(d**2))
    assert fitted_q_loss(q, actions, targets, "huber").item() == pytest.approx(np.mean([0.125, 1.5, 0.0]))
    assert [linear_epsilon(t, 1.0, 0.1, 10) for t in (0, 5, 10, 50)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    with pytest.raises(ValueError, match="loss must be"):
        fitted_q_loss(q, actions, targets, "l1")
    with pytest.raises(ValueError, match="actions"):
        fitted_q_loss(q, actions[:2], targets[:2])


def test_dqn_learns_the_penguins_optimal_policy():
    """A short seeded run with one-hot states (a 16-32-4 network), uniformly random actions from a
    random first state: where the best action is clear (the best two actions differ by more than
    0.1 in q*), the greedy action is an optimal one; the greedy policy's values (policy
    evaluation by a linear solve, eq. 19.9) are within 0.1 of the optimum everywhere, and within
    0.01 at the book's start; max |q − q*| ends below 0.5 (q* spans −3.6 to 3)."""
    penguin = penguin_gridworld()
    best = value_iteration(penguin)
    net = QNetwork(16, 4, (32,), rng=0)
    result = dqn(make_penguin_env, net, 20_000, gamma=penguin.gamma, lr=3e-3, lr_end=3e-5, batch_size=128,
                 learning_starts=1_000, train_every=4, target_update=400, epsilon_start=1.0, epsilon_end=1.0,
                 loss="squared", record_every=20_000, seed=0)
    q = net(Tensor(np.eye(16, dtype=np.float32))).numpy()
    greedy = q.argmax(axis=1)
    gaps = np.sort(best.q, axis=1)
    clear = (gaps[:, -1] - gaps[:, -2] > 0.1) & ~penguin.terminal
    optimal = tied_greedy_policy(best.q) > 0
    assert clear.sum() >= 6 and optimal[np.arange(16), greedy][clear].all(), (greedy, best.policy)
    achieved = policy_evaluation(penguin, greedy, method="solve").values
    assert np.abs(achieved - best.values).max() < 0.1
    assert abs(achieved[0] - best.values[0]) < 0.01
    assert np.abs(q - best.q).max() < 0.5
    assert result.record.rows[-1]["train_loss"] > 0 and result.record.steps == 20_000
