"""Dynamic programming on a known MDP (section 19.3.1, fig. 19.10).

- `q_values`: the value of each action from the values of state (eq. 19.8).
- `policy_evaluation`: the values of a policy, by repeated sweeps of eq. 19.11 (synchronous or in
  place) until a tolerance is met, or exactly by solving the linear Bellman equation (eq. 19.9).
- `policy_improvement`: the greedy policy for given values (eq. 19.12).
- `policy_iteration`: evaluate to convergence, improve, repeat until the policy is stable.
- `value_iteration`: one sweep of evaluation between improvements, i.e. v[s] ← max_a q[s, a].

Each returns a `DPResult`: values, action values, the policy they belong to, the number of
iterations and whether the stopping rule was met.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_int
from .mdp import MDP
from .policy import epsilon_greedy_policy, greedy_policy, policy_matrix

__all__ = ["DPResult", "q_values", "policy_evaluation", "policy_improvement", "policy_iteration", "value_iteration"]


@dataclass(frozen=True)
class DPResult:
    """values v[s]; q[s, a] (eq. 19.8); policy: the policy the values belong to ((S,) actions, or an
    (S, A) matrix for a stochastic one); iterations: sweeps (evaluation, value iteration) or
    evaluation–improvement rounds (policy iteration); converged: the stopping rule was met."""
    values: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool


def q_values(mdp: MDP, values) -> np.ndarray:
    """q[s, a] = r[s, a] + γ·Σ_s′ Pr(s′ | s, a)·v[s′] (eq. 19.8); nothing follows a terminal state."""
    values = np.asarray(values, dtype=float)
    if values.shape != (mdp.n_states,):
        raise ValueError(f"q_values: values must have shape ({mdp.n_states},), got {values.shape}")
    return mdp.R + mdp.gamma * mdp.continues[:, None] * (mdp.P @ values)


def policy_evaluation(mdp: MDP, policy, method: str = "iterative", tol: float = 1e-10,
                      max_iterations: int = 100_000, in_place: bool = False, values=None) -> DPResult:
    """The values v[s | π] of `policy` (eq. 19.2).

    method="iterative" sweeps eq. 19.11, v[s] ← Σ_a π[a | s]·(r[s, a] + γ·Σ_s′ Pr(s′ | s, a)·v[s′]),
    starting from `values` (zeros by default), until the values are within `tol` of the solution:
    each sweep is a γ-contraction, so a change Δ between sweeps bounds the error by γΔ/(1 − γ).
    `in_place=True` uses each new v[s] within the same sweep (section 19.3.1's in-place variant).
    method="solve" solves the linear Bellman equation (I − γ·P_π)·v = r_π (eq. 19.9) directly.
    """
    pi = policy_matrix(policy, mdp.n_states, mdp.n_actions, "policy_evaluation")
    r_pi = (pi * mdp.R).sum(axis=1)
    # P_π[s, s′] = Σ_a π[a | s]·Pr(s′ | s, a), zero after a terminal state (the episode has ended)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P) * mdp.continues[:, None]
    if method == "solve":
        v = _solve_bellman(mdp, P_pi, r_pi)
        return DPResult(v, q_values(mdp, v), np.asarray(policy), 1, True)
    if method != "iterative":
        raise ValueError(f"policy_evaluation: method must be 'iterative' or 'solve', got {method!r}")
    v = np.zeros(mdp.n_states) if values is None else np.array(values, dtype=float)
    if v.shape != (mdp.n_states,):
        raise ValueError(f"policy_evaluation: values must have shape ({mdp.n_states},), got {v.shape}")
    max_iterations = check_int(max_iterations, "max_iterations", "policy_evaluation", 1)
    for sweep in range(1, max_iterations + 1):
        if in_place:
            change = 0.0
            for s in range(mdp.n_states):
                new = r_pi[s] + mdp.gamma * P_pi[s] @ v
                change, v[s] = max(change, abs(new - v[s])), new
        else:
            new = r_pi + mdp.gamma * P_pi @ v
            change, v = np.abs(new - v).max(), new
        if _close_enough(change, mdp.gamma, tol):
            return DPResult(v, q_values(mdp, v), np.asarray(policy), sweep, True)
    return DPResult(v, q_values(mdp, v), np.asarray(policy), max_iterations, False)


def policy_improvement(mdp: MDP, values, current=None) -> np.ndarray:
    """π[s] ← argmax_a Σ_s′ Pr(s′ | s, a)·(r[s, a] + γ·v[s′]) (eq. 19.12, with the sum over s′ that the
    book's print drops). With `current`, a state keeps its action when that action ties with the
    best, so that policy iteration stops instead of cycling between equally good actions."""
    q = q_values(mdp, values)
    best = greedy_policy(q)
    if current is None:
        return best
    current = np.asarray(current)
    policy_matrix(current, mdp.n_states, mdp.n_actions, "policy_improvement")  # checks a deterministic policy
    tie = q[np.arange(mdp.n_states), current] >= q.max(axis=1) - 1e-12 * (1 + np.abs(q).max())
    return np.where(tie, current, best)


def policy_iteration(mdp: MDP, policy=None, evaluation: str = "solve", tol: float = 1e-10,
                     max_iterations: int = 1_000) -> DPResult:
    """Alternate policy evaluation to convergence and policy improvement (section 19.3.1) from
    `policy` (action 0 everywhere by default) until no state changes its action. `evaluation` is
    the `method` of `policy_evaluation`. By the policy improvement theorem (problem 19.2) no
    value decreases, and with finitely many policies the loop ends at an optimal one."""
    policy = np.zeros(mdp.n_states, dtype=int) if policy is None else np.asarray(policy)
    if policy.shape != (mdp.n_states,) or policy.dtype.kind not in "iu":
        raise ValueError(f"policy_iteration: the initial policy must be deterministic, an integer array of shape "
                         f"({mdp.n_states},) holding one action per state; got {policy.dtype} {policy.shape}")
    max_iterations = check_int(max_iterations, "max_iterations", "policy_iteration", 1)
    for round_ in range(1, max_iterations + 1):
        result = policy_evaluation(mdp, policy, method=evaluation, tol=tol)
        improved = policy_improvement(mdp, result.values, current=policy)
        if np.array_equal(improved, policy):
            return DPResult(result.values, result.q, policy, round_, result.converged)
        policy = improved
    return DPResult(result.values, result.q, policy, max_iterations, False)


def value_iteration(mdp: MDP, tol: float = 1e-10, max_iterations: int = 100_000, epsilon: float = 0.0,
                    values=None) -> DPResult:
    """v[s] ← max_a q[s, a] (eqs. 19.11–19.12 with a single sweep of evaluation, section 19.3.1),
    from `values` (zeros by default), until the values are within `tol` of the fixed point v*
    (the contraction bound, as in `policy_evaluation`). The policy is greedy in the final q.

    `epsilon` > 0 finds instead the best ε-soft policy (section 19.3.2): the backup becomes
    v[s] ← (1 − ε)·max_a q[s, a] + ε·mean_a q[s, a], whose fixed point is the value of the
    ε-greedy policy in its own action values. On-policy learners that keep exploring with that ε
    (SARSA, ε-greedy Monte Carlo) converge there rather than to q*; the policy returned is then
    the ε-greedy matrix.
    """
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"value_iteration: epsilon must be in [0, 1], got {epsilon}")
    max_iterations = check_int(max_iterations, "max_iterations", "value_iteration", 1)
    v = np.zeros(mdp.n_states) if values is None else np.array(values, dtype=float)
    if v.shape != (mdp.n_states,):
        raise ValueError(f"value_iteration: values must have shape ({mdp.n_states},), got {v.shape}")
    sweeps, converged = 0, False
    while not converged and sweeps < max_iterations:
        q = q_values(mdp, v)
        new = (1.0 - epsilon) * q.max(axis=1) + epsilon * q.mean(axis=1)
        change, v = np.abs(new - v).max(), new
        sweeps += 1
        converged = _close_enough(change, mdp.gamma, tol)
    q = q_values(mdp, v)
    policy = epsilon_greedy_policy(q, epsilon) if epsilon > 0 else greedy_policy(q)
    return DPResult(v, q, policy, sweeps, converged)


def _solve_bellman(mdp: MDP, P_pi, r_pi) -> np.ndarray:
    A = np.eye(mdp.n_states) - mdp.gamma * P_pi
    try:
        v = np.linalg.solve(A, r_pi)
    except np.linalg.LinAlgError:
        v = np.full(mdp.n_states, np.nan)
    if not np.isfinite(v).all() or np.linalg.cond(A) > 1e12:
        raise ValueError("policy_evaluation: the Bellman equation (I - gamma P_pi) v = r_pi has no unique solution: "
                         "with gamma = 1 the policy must reach a terminal state from every state; use gamma < 1")
    return v


def _close_enough(change: float, gamma: float, tol: float) -> bool:
    """Stop when the values are within tol of the fixed point: ‖v_k − v*‖ ≤ γ/(1 − γ)·‖v_k − v_{k−1}‖
    for a γ-contraction. With γ = 1 (episodic tasks) that bound is unavailable: the change itself."""
    return change * gamma <= tol * (1.0 - gamma) if gamma < 1.0 else change <= tol
