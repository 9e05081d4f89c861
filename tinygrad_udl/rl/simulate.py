"""Sampling episodes of an MDP (the loop of fig. 19.6): the one place trajectories come from.

`Simulator` steps one episode at a time (the tabular learners and the gymnasium environment use
it); `sample_episodes` runs many episodes of a stochastic policy side by side (REINFORCE);
`rewards_to_go` turns their rewards into the discounted returns of eq. 19.32.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_int
from .mdp import MDP
from .policy import policy_matrix

__all__ = ["Simulator", "Episodes", "sample_episodes", "rewards_to_go"]


class Simulator:
    """Draws first states from `mdp.start` and next states from P[s, a, :] with one numpy Generator
    (`rng`: a Generator, an int seed, or None for the library's generator)."""

    def __init__(self, mdp: MDP, rng=None):
        self.mdp = mdp
        self.rng = as_generator(rng, "Simulator")
        self._start_cdf = np.cumsum(mdp.start)
        self._cdf = np.cumsum(mdp.P, axis=2)

    def reset(self) -> int:
        """A first state s₁ ~ start."""
        return _draw(self._start_cdf, self.rng.random())

    def step(self, state: int, action: int) -> tuple[int, float, bool]:
        """(s′, r[s, a], terminated): terminated is True when `state` is terminal, since the episode
        ends once the agent has acted there (see `MDP`)."""
        next_state = _draw(self._cdf[state, action], self.rng.random())
        return next_state, float(self.mdp.R[state, action]), bool(self.mdp.terminal[state])


@dataclass(frozen=True)
class Episodes:
    """I episodes padded to the longest, T steps: states[i, t] = s_it, actions[i, t] = a_it,
    rewards[i, t] = r[s_it, a_it] (the book's r_{i,t+1}), and mask[i, t] = step t happened."""
    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray


def sample_episodes(mdp: MDP, policy, n_episodes: int, max_steps: int = 1_000, rng=None) -> Episodes:
    """`n_episodes` episodes of `policy` (deterministic actions or an (S, A) matrix π[a | s]), run
    side by side until each has ended or `max_steps` steps have been taken (then it is cut short:
    its return misses at most γ^max_steps·max|r|/(1 − γ))."""
    pi = policy_matrix(policy, mdp.n_states, mdp.n_actions, "sample_episodes")
    n_episodes = check_int(n_episodes, "n_episodes", "sample_episodes", 1)
    max_steps = check_int(max_steps, "max_steps", "sample_episodes", 1)
    rng = as_generator(rng, "sample_episodes")
    pi_cdf, P_cdf = np.cumsum(pi, axis=1), np.cumsum(mdp.P, axis=2)
    state = _draw_each(np.broadcast_to(np.cumsum(mdp.start), (n_episodes, mdp.n_states)), rng.random(n_episodes))
    alive = np.ones(n_episodes, dtype=bool)
    states, actions, rewards, masks = [], [], [], []
    for _ in range(max_steps):
        action = _draw_each(pi_cdf[state], rng.random(n_episodes))
        states.append(state)
        actions.append(action)
        rewards.append(np.where(alive, mdp.R[state, action], 0.0))
        masks.append(alive)
        alive = alive & ~mdp.terminal[state]
        if not alive.any():
            break
        state = _draw_each(P_cdf[state, action], rng.random(n_episodes))
    return Episodes(*(np.stack(column, axis=1) for column in (states, actions, rewards, masks)))


def rewards_to_go(rewards, gamma: float) -> np.ndarray:
    """G[..., t] = Σ_{k ≥ t} γ^(k−t)·rewards[..., k] along the last axis: the return from step t
    (eq. 19.1; eq. 19.32 for an episode, where rewards[t] is the book's r_{t+1})."""
    rewards = np.asarray(rewards, dtype=float)
    returns = np.empty_like(rewards)
    running = np.zeros(rewards.shape[:-1])
    for t in range(rewards.shape[-1] - 1, -1, -1):
        running = rewards[..., t] + gamma * running
        returns[..., t] = running
    return returns


def _draw(cdf, u) -> int:
    # min(): the last entry of a cumulative sum can round to just below 1
    return min(int(np.searchsorted(cdf, u, side="right")), cdf.size - 1)


def _draw_each(cdfs, u) -> np.ndarray:
    """One draw per row of `cdfs` (inverse-CDF sampling)."""
    return np.minimum((cdfs <= u[:, None]).sum(axis=1), cdfs.shape[1] - 1)
