"""A tabular Markov decision process as arrays (section 19.1.3).

`MDP(P, R, gamma, terminal, start)` holds the transition probabilities P[s, a, s′] = Pr(s′ | s, a),
the rewards R[s, a], the discount factor γ of the return (eq. 19.1), the terminal states and the
distribution of the first state, and checks them on construction. Rewards are deterministic and
written r[s, a], as the book assumes from section 19.1.5 on (it also writes r[a, s]; here the
state always comes first). Rewards given per transition, R[s, a, s′], are reduced to their
expectation Σ_s′ P[s, a, s′] R[s, a, s′]: the values, and so every algorithm of the chapter, only
see that expectation.

Terminal states follow the book's fish tile (fig. 19.10, problem 19.3): the agent still acts once
in a terminal state, receives R[s, a] for leaving it, and then the episode ends. So the value of
a terminal state is its reward alone (the fish is worth +3). A terminal state with R[s, :] = 0 is
the usual absorbing state worth nothing (a hole of FrozenLake, or any environment that ends the
episode on arrival). The rows P[s, :, :] of terminal states are never used but must still be
distributions.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MDP"]

_ATOL = 1e-8  # how far a row of P may sum from 1 (probabilities typed with a few decimals fail)


class MDP:
    """A finite MDP: `P[s, a, s′]`, `R[s, a]`, `gamma`, boolean `terminal[s]`, `start[s]`.

    P: (S, A, S) transition probabilities Pr(s′ | s, a); every row P[s, a, :] sums to 1.
    R: (S, A) rewards r[s, a], or (S, A, S) rewards per transition (reduced to their expectation).
    gamma: the discount factor γ ∈ [0, 1] of eq. 19.1.
    terminal: a boolean mask of length S, or a list of state indices; none by default.
    start: the distribution of the first state: a length-S vector of probabilities, or one state
        index; by default uniform over the non-terminal states.
    action_names: optional labels of the actions (the book's penguin: up, right, down, left).
    """

    def __init__(self, P, R, gamma, terminal=None, start=None, action_names=None):
        self.P = _transitions(P)
        n_states, n_actions = self.P.shape[:2]
        self.R = _expected_rewards(R, self.P)
        self.gamma = _discount(gamma)
        self.terminal = _terminal_mask(terminal, n_states)
        self.start = _start_distribution(start, self.terminal)
        self.action_names = _action_names(action_names, n_actions)
        for array in (self.P, self.R, self.terminal, self.start):
            array.flags.writeable = False  # shared by results and environments: never changed in place

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    @property
    def continues(self) -> np.ndarray:
        """1 where the episode goes on after leaving the state, 0 at terminal states: the factor
        in front of γ·Σ_s′ Pr(s′ | s, a) v[s′] in eqs. 19.8–19.11."""
        return (~self.terminal).astype(float)

    def __repr__(self):
        return (f"MDP(n_states={self.n_states}, n_actions={self.n_actions}, gamma={self.gamma}, "
                f"terminal={np.flatnonzero(self.terminal).tolist()})")


def _transitions(P) -> np.ndarray:
    P = np.array(P, dtype=float)
    if P.ndim != 3 or P.shape[0] != P.shape[2] or 0 in P.shape:
        raise ValueError(f"MDP: P must have shape (n_states, n_actions, n_states) with P[s, a, s'] = Pr(s' | s, a), "
                         f"got shape {P.shape}")
    invalid = ~(np.isfinite(P) & (P >= 0))
    if invalid.any():
        s, a, s_next = np.argwhere(invalid)[0]
        raise ValueError(f"MDP: P[{s}, {a}, {s_next}] = {P[s, a, s_next]} is not a probability "
                         "(P must be finite and >= 0)")
    sums = P.sum(axis=2)
    bad = np.argwhere(np.abs(sums - 1) > _ATOL)
    if len(bad):
        s, a = bad[0]
        raise ValueError(f"MDP: the row P[{s}, {a}, :] sums to {sums[s, a]:.6g}, not 1 ({len(bad)} of the "
                         f"{sums.size} rows do not); every row must be the distribution Pr(s' | s, a)")
    return P / sums[..., None]  # exact sums: the round-off allowed above does not leak into the values


def _expected_rewards(R, P) -> np.ndarray:
    R = np.array(R, dtype=float)
    if R.shape == P.shape:  # r[s, a, s'] → r[s, a] = Σ_s' Pr(s' | s, a) r[s, a, s']
        R = np.einsum("ijk,ijk->ij", P, R)
    elif R.shape != P.shape[:2]:
        raise ValueError(f"MDP: R must have shape (n_states, n_actions) = {P.shape[:2]} or (n_states, n_actions, "
                         f"n_states) = {P.shape}, got {R.shape}")
    if not np.isfinite(R).all():
        raise ValueError("MDP: R has non-finite entries (nan or inf)")
    return R


def _discount(gamma) -> float:
    try:
        gamma = float(gamma)
    except (TypeError, ValueError):
        raise TypeError(f"MDP: gamma must be a number in [0, 1], got {type(gamma).__name__}") from None
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"MDP: the discount factor gamma must be in [0, 1] (eq. 19.1), got {gamma}")
    return gamma


def _terminal_mask(terminal, n_states) -> np.ndarray:
    if terminal is None:
        return np.zeros(n_states, dtype=bool)
    terminal = np.asarray(terminal)
    if terminal.dtype == bool:
        if terminal.shape != (n_states,):
            raise ValueError(f"MDP: a boolean terminal mask must have shape ({n_states},), got {terminal.shape}")
        return terminal.copy()
    if terminal.ndim != 1 or (terminal.size and terminal.dtype.kind not in "iu"):
        raise ValueError("MDP: terminal must be a boolean mask or a list of state indices, "
                         f"got an array of dtype {terminal.dtype} and shape {terminal.shape}")
    if ((terminal < 0) | (terminal >= n_states)).any():
        raise ValueError(f"MDP: terminal states {terminal.tolist()} must be indices in [0, {n_states})")
    mask = np.zeros(n_states, dtype=bool)
    mask[terminal] = True
    return mask


def _start_distribution(start, terminal) -> np.ndarray:
    n_states = terminal.size
    if start is None:
        if terminal.all():
            raise ValueError("MDP: every state is terminal, so give the start distribution explicitly")
        return (~terminal) / (~terminal).sum()
    if np.ndim(start) == 0:
        if not (isinstance(start, int | np.integer) and 0 <= start < n_states):
            raise ValueError(f"MDP: start must be a state index in [0, {n_states}) or a distribution, got {start!r}")
        return np.eye(n_states)[start]
    start = np.array(start, dtype=float)
    if start.shape != (n_states,):
        raise ValueError(f"MDP: the start distribution must have shape ({n_states},), got {start.shape}")
    if (start < 0).any() or abs(start.sum() - 1) > _ATOL:
        raise ValueError(f"MDP: the start distribution must be >= 0 and sum to 1, got sum {start.sum():.6g}")
    return start / start.sum()


def _action_names(names, n_actions):
    if names is None:
        return tuple(str(a) for a in range(n_actions))
    names = tuple(str(name) for name in names)
    if len(names) != n_actions:
        raise ValueError(f"MDP: {len(names)} action_names for {n_actions} actions")
    return names
