"""gymnasium's toy-text environments (FrozenLake, CliffWalking, Taxi) as `MDP` arrays.

These environments publish their model as a dict, `env.unwrapped.P[s][a]`, a list of
(probability, next_state, reward, terminated) tuples. `mdp_from_toy_text` turns it into
P[s, a, s′] and the expected rewards R[s, a], so that dynamic programming (section 19.3.1) can
solve the environment exactly. gymnasium itself is not imported: pass an environment you made.
"""
from __future__ import annotations

import numpy as np

from .mdp import MDP

__all__ = ["mdp_from_toy_text"]


def mdp_from_toy_text(env, gamma: float, action_names=None) -> MDP:
    """The MDP of a toy-text environment, with discount `gamma` (gymnasium has none).

    A state is terminal when the environment sets `terminated` on arriving there; gymnasium ends
    the episode on arrival, so terminal states get R[s, :] = 0 and a self-loop here (the episode
    ends once the agent has acted in a terminal state, see `MDP`, which then pays nothing). The
    values of the other states are those of the environment.
    """
    base = getattr(env, "unwrapped", env)
    table = getattr(base, "P", None)
    if not isinstance(table, dict):
        raise TypeError(f"mdp_from_toy_text: {type(base).__name__} has no transition table env.unwrapped.P; "
                        "only gymnasium's toy-text environments (FrozenLake, CliffWalking, Taxi) publish one")
    n_states, n_actions = base.observation_space.n, base.action_space.n
    P, R = np.zeros((n_states, n_actions, n_states)), np.zeros((n_states, n_actions))
    ends_episode = {}  # next state → the `terminated` flag of transitions into it
    for s in range(n_states):
        for a in range(n_actions):
            for probability, s_next, reward, terminated in table[s][a]:
                s_next = int(s_next)
                if ends_episode.setdefault(s_next, bool(terminated)) != bool(terminated):
                    raise ValueError(f"mdp_from_toy_text: arriving in state {s_next} ends the episode on some "
                                     "transitions and not on others, which terminal states cannot express")
                P[s, a, s_next] += probability
                R[s, a] += probability * reward
    terminal = np.zeros(n_states, dtype=bool)
    terminal[[s for s, ends in ends_episode.items() if ends]] = True
    P[terminal] = np.eye(n_states)[terminal][:, None, :]
    R[terminal] = 0.0
    start = getattr(base, "initial_state_distrib", None)
    return MDP(P, R, gamma, terminal=terminal, start=start, action_names=action_names)
