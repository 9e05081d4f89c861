"""Policies π[a | s] of a tabular MDP (section 19.1.5).

A deterministic policy is an integer array `policy[s]` (the action taken in state s); a stochastic
one is a matrix `policy[s, a]` = π[a | s] whose rows sum to 1. `policy_matrix` turns either into the
matrix that the Bellman equations (eqs. 19.7–19.11) sum over.
"""
from __future__ import annotations

import numpy as np

__all__ = ["policy_matrix", "greedy_policy", "tied_greedy_policy", "epsilon_greedy_policy"]


def policy_matrix(policy, n_states: int, n_actions: int, where: str = "policy_matrix") -> np.ndarray:
    """π[a | s] as an (n_states, n_actions) matrix, from a deterministic (n_states,) integer array
    or a stochastic (n_states, n_actions) matrix (checked: rows are distributions)."""
    policy = np.asarray(policy)
    if policy.shape == (n_states,) and policy.dtype.kind in "iu":
        if ((policy < 0) | (policy >= n_actions)).any():
            raise ValueError(f"{where}: a deterministic policy holds actions in [0, {n_actions}), got "
                             f"{policy.min()}..{policy.max()}")
        return np.eye(n_actions)[policy]
    if policy.shape == (n_states, n_actions) and policy.dtype.kind == "f":
        if (policy < 0).any() or not np.allclose(policy.sum(axis=1), 1.0, rtol=0, atol=1e-8):
            raise ValueError(f"{where}: each row policy[s, :] = π[· | s] must be >= 0 and sum to 1")
        return policy
    raise ValueError(f"{where}: a policy is an integer array of shape ({n_states},) (one action per state) or a "
                     f"float matrix of shape ({n_states}, {n_actions}) (π[a | s]); got {policy.dtype} {policy.shape}")


def greedy_policy(q) -> np.ndarray:
    """argmax_a q[s, a] for every state (eq. 19.13); ties go to the lowest action index."""
    return np.asarray(q).argmax(axis=1)


def tied_greedy_policy(q, atol: float = 1e-9) -> np.ndarray:
    """Uniform over every action within `atol` of the best, as an (S, A) matrix: all the optimal
    actions when q = q* (at the penguin's corners every action is optimal: each slips the same way)."""
    q = np.asarray(q)
    best = q >= q.max(axis=1, keepdims=True) - atol
    return best / best.sum(axis=1, keepdims=True)


def epsilon_greedy_policy(q, epsilon: float) -> np.ndarray:
    """The ε-greedy matrix of section 19.3.2: a uniformly random action with probability ε, else
    the greedy action (so the greedy action has probability 1 − ε + ε/A)."""
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon_greedy_policy: epsilon must be in [0, 1], got {epsilon}")
    q = np.asarray(q)
    matrix = np.full(q.shape, epsilon / q.shape[1])
    matrix[np.arange(q.shape[0]), greedy_policy(q)] += 1.0 - epsilon
    return matrix
