"""Dynamic programming (section 19.3.1) against oracles: brute force over all deterministic
policies, and the Bellman equations 19.9–19.10 summed with explicit loops."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.rl import (MDP, epsilon_greedy_policy, penguin_gridworld, policy_evaluation, policy_improvement,
                             policy_iteration, value_iteration)

from .mdps import brute_force_optimum, deterministic, mdps, policy_value, random_mdp


@given(mdps())
def test_value_iteration_policy_iteration_and_the_linear_solve_agree(mdp):
    vi = value_iteration(mdp, tol=1e-12)
    pi = policy_iteration(mdp)
    solved = policy_evaluation(mdp, vi.policy, method="solve")
    assert vi.converged and pi.converged
    assert np.abs(vi.values - pi.values).max() < 1e-10
    assert np.abs(solved.values - pi.values).max() < 1e-10
    assert np.abs(policy_value(mdp, deterministic(pi.policy, mdp.n_actions)) - pi.values).max() < 1e-10


@given(mdps(), st.integers(0, 2**32 - 1))
def test_bellman_equations_hold_for_the_values_of_a_stochastic_policy(mdp, seed):
    pi = np.random.default_rng(seed).dirichlet(np.ones(mdp.n_actions), size=mdp.n_states)
    result = policy_evaluation(mdp, pi, method="solve")
    v, q, g = result.values, result.q, mdp.gamma
    for s in range(mdp.n_states):
        go_on = 0.0 if mdp.terminal[s] else 1.0
        # eq. 19.9
        assert v[s] == pytest.approx(sum(pi[s, a] * (mdp.R[s, a] + g * go_on * sum(
            mdp.P[s, a, t] * v[t] for t in range(mdp.n_states))) for a in range(mdp.n_actions)), abs=1e-10)
        for a in range(mdp.n_actions):
            # eq. 19.10
            assert q[s, a] == pytest.approx(mdp.R[s, a] + g * go_on * sum(
                mdp.P[s, a, t] * sum(pi[t, b] * q[t, b] for b in range(mdp.n_actions))
                for t in range(mdp.n_states)), abs=1e-10)


@given(mdps())
def test_the_optimal_values_satisfy_the_bellman_optimality_equation(mdp):
    result = value_iteration(mdp, tol=1e-12)
    backup = [max(mdp.R[s, a] + (0 if mdp.terminal[s] else mdp.gamma * mdp.P[s, a] @ result.values)
                  for a in range(mdp.n_actions)) for s in range(mdp.n_states)]
    assert np.abs(result.values - backup).max() < 1e-10


@given(mdps(max_states=4, max_actions=3))
@settings(max_examples=30)
def test_dp_finds_the_brute_force_optimum(mdp):
    v_star, q_star = brute_force_optimum(mdp)
    result = policy_iteration(mdp)
    assert np.abs(result.values - v_star).max() < 1e-9
    assert np.abs(result.q - q_star).max() < 1e-9
    assert np.abs(value_iteration(mdp, tol=1e-12).values - v_star).max() < 1e-9


@given(mdps(max_states=5, max_actions=3))
def test_no_single_state_change_improves_the_greedy_policy(mdp):
    policy = policy_iteration(mdp).policy
    v = policy_value(mdp, deterministic(policy, mdp.n_actions))
    for s, a in itertools.product(range(mdp.n_states), range(mdp.n_actions)):
        changed = policy.copy()
        changed[s] = a
        assert (policy_value(mdp, deterministic(changed, mdp.n_actions)) <= v + 1e-10).all()


@given(mdps(), st.booleans())
def test_iterative_evaluation_meets_its_tolerance(mdp, in_place):
    policy = np.zeros(mdp.n_states, dtype=int)
    exact = policy_value(mdp, deterministic(policy, mdp.n_actions))
    result = policy_evaluation(mdp, policy, tol=1e-9, in_place=in_place)
    assert result.converged and np.abs(result.values - exact).max() <= 1e-9


@given(mdps(max_states=4, max_actions=3), st.floats(0.05, 1.0))
@settings(max_examples=30)
def test_epsilon_soft_value_iteration_gives_the_best_epsilon_greedy_policy(mdp, epsilon):
    result = value_iteration(mdp, tol=1e-12, epsilon=epsilon)
    assert np.allclose(result.policy, epsilon_greedy_policy(result.q, epsilon))
    # its values are those of the ε-greedy policy it returns ...
    assert np.abs(policy_value(mdp, result.policy) - result.values).max() < 1e-9
    # ... and no ε-greedy policy around a deterministic choice does better
    for choice in itertools.product(range(mdp.n_actions), repeat=mdp.n_states):
        soft = (1 - epsilon) * deterministic(choice, mdp.n_actions) + epsilon / mdp.n_actions
        assert (policy_value(mdp, soft) <= result.values + 1e-9).all()


def test_policy_improvement_keeps_a_tied_action():
    mdp = MDP(np.full((1, 2, 1), 1.0), [[1.0, 1.0]], 0.5)
    assert policy_improvement(mdp, [2.0]).tolist() == [0]
    assert policy_improvement(mdp, [2.0], current=[1]).tolist() == [1]


def test_policy_iteration_on_the_penguin_converges_in_few_rounds():
    result = policy_iteration(penguin_gridworld(), evaluation="iterative")
    assert result.converged and result.iterations <= 10
    assert result.values[15] == pytest.approx(3.0)  # the fish is worth its reward (problem 19.3)


def test_bad_arguments_are_refused():
    mdp = random_mdp(0)
    with pytest.raises(ValueError, match="method must be 'iterative' or 'solve'"):
        policy_evaluation(mdp, np.zeros(4, dtype=int), method="guess")
    with pytest.raises(ValueError, match=r"integer array of shape \(4,\)"):
        policy_evaluation(mdp, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="sum to 1"):
        policy_evaluation(mdp, np.full((4, 2), 0.7))
    with pytest.raises(ValueError, match="must be deterministic"):
        policy_iteration(mdp, np.full((4, 2), 0.5))
    with pytest.raises(ValueError, match=r"values must have shape \(4,\)"):
        value_iteration(mdp, values=np.zeros(3))


def test_an_episode_that_never_ends_without_discount_has_no_value():
    mdp = MDP(np.ones((1, 1, 1)), [[1.0]], 1.0)
    with pytest.raises(ValueError, match="gamma < 1"):
        policy_evaluation(mdp, [0], method="solve")
    assert not policy_evaluation(mdp, [0], max_iterations=50).converged
