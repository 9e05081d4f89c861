"""Tabular learners (sections 19.3.2–19.4.2) reach the exact action values, computed here by brute
force, on small MDPs; fig. 19.12's single Q-learning step."""
import numpy as np
import pytest

from tinygrad_udl.rl import (double_q_learning, double_q_learning_update, monte_carlo_control, q_learning,
                             q_learning_update, sarsa, sarsa_update)

from .mdps import brute_force_optimum, epsilon_soft_optimum, random_mdp

MDP_SEED = 7  # 4 states, 2 actions, γ = 0.8, state 2 terminal: episodes end
TD = dict(alpha=0.5, alpha_decay=0.7, exploring_starts=True, max_steps=60)


@pytest.fixture(scope="module")
def mdp():
    mdp = random_mdp(MDP_SEED, n_states=4, n_actions=2, gamma=0.8)
    assert mdp.terminal.any()
    return mdp


def test_fig_19_12_one_q_learning_step():
    # γ = 0.9, α = 0.1, reward 0 for leaving the state, best value of action at the next state 0.43,
    # current value 1.20; the book prints the updated value 1.12
    new = q_learning_update(1.20, 0.0, [0.2, 0.43, -0.1, 0.0], alpha=0.1, gamma=0.9)
    assert new == pytest.approx(1.20 + 0.1 * (0.0 + 0.9 * 0.43 - 1.20))
    assert round(new, 2) == 1.12


def test_single_updates_bootstrap_only_while_the_episode_goes_on():
    assert sarsa_update(1.0, 2.0, 5.0, alpha=0.5, gamma=0.9) == pytest.approx(1.0 + 0.5 * (2.0 + 4.5 - 1.0))
    assert sarsa_update(1.0, 2.0, 5.0, alpha=0.5, gamma=0.9, terminated=True) == pytest.approx(1.5)
    assert q_learning_update(0.0, 1.0, [3.0, 9.0], alpha=1.0, gamma=0.5, terminated=True) == 1.0
    # double Q: table 1 picks action 1 at the next state, table 2 values it (eq. 19.20)
    assert double_q_learning_update(0.0, 0.0, [1.0, 2.0], [7.0, 3.0], alpha=1.0, gamma=0.5) == pytest.approx(1.5)


def _greedy_agrees_where_clear(result, reference, margin):
    ordered = np.sort(reference, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > margin
    return np.array_equal(result.policy[clear], reference.argmax(axis=1)[clear])


@pytest.mark.parametrize("learner", [q_learning, double_q_learning])
def test_off_policy_learners_reach_q_star(mdp, learner):
    _, q_star = brute_force_optimum(mdp)
    result = learner(mdp, 3000, epsilon=0.5, rng=1, **TD)
    assert np.abs(result.q - q_star).max() < 0.1
    assert result.q_error == pytest.approx(np.abs(result.q - q_star).max(), abs=1e-9)
    assert result.errors[-1] == pytest.approx(result.q_error) and result.errors[0] > 3 * result.errors[-1]
    assert _greedy_agrees_where_clear(result, q_star, 0.2)


def test_sarsa_reaches_the_best_epsilon_soft_values(mdp):
    epsilon = 0.2
    reference = epsilon_soft_optimum(mdp, epsilon)
    result = sarsa(mdp, 2000, epsilon=epsilon, rng=2, **TD)
    assert np.abs(result.q - reference).max() < 0.1
    assert np.abs(result.reference - reference).max() < 1e-9
    assert _greedy_agrees_where_clear(result, reference, 0.2)


def test_monte_carlo_control_with_exploring_starts_reaches_q_star(mdp):
    _, q_star = brute_force_optimum(mdp)
    result = monte_carlo_control(mdp, 2500, rng=3, max_steps=60)
    assert np.abs(result.q - q_star).max() < 0.1
    assert _greedy_agrees_where_clear(result, q_star, 0.2)


def test_epsilon_greedy_monte_carlo_reaches_the_best_epsilon_soft_values(mdp):
    reference = epsilon_soft_optimum(mdp, 0.3)
    result = monte_carlo_control(mdp, 2500, epsilon=0.3, exploring_starts=False, rng=4, max_steps=60)
    assert np.abs(result.q - reference).max() < 0.1


def test_learners_are_reproducible_from_a_seed_or_a_generator(mdp):
    a = q_learning(mdp, 50, rng=11)
    b = q_learning(mdp, 50, rng=np.random.default_rng(11))
    assert np.array_equal(a.q, b.q) and a.steps == b.steps


def test_learners_refuse_bad_arguments(mdp):
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\]"):
        q_learning(mdp, 10, alpha=0.0)
    with pytest.raises(ValueError, match=r"epsilon must be in \[0, 1\]"):
        sarsa(mdp, 10, epsilon=2.0)
    with pytest.raises(ValueError, match="n_episodes must be >= 1"):
        monte_carlo_control(mdp, 0)
    with pytest.raises(TypeError, match="expected an MDP"):
        q_learning(np.zeros((2, 2, 2)), 10)
