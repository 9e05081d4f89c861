"""The experience replay buffer of deep Q-networks (section 19.4.1).

"Rather than update the network based on the tuple <s, a, r, s′> at the current step or with a
batch of the last I tuples, all recent tuples were stored in a buffer. This buffer was sampled
randomly to generate a batch at each step." `ReplayBuffer` keeps the last `capacity` transitions
in a ring (a full buffer overwrites its oldest transition first) and samples batches uniformly,
with replacement, from what it holds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_int

__all__ = ["Transitions", "ReplayBuffer"]


@dataclass(frozen=True)
class Transitions:
    """A batch of transitions <s, a, r, s′>: states (B, D), actions (B,), rewards (B,),
    next_states (B, D), and terminated (B,): the episode ended at s′, so nothing follows it. An
    episode cut short by a time limit is not terminated: its next state still has a value."""
    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    terminated: np.ndarray


class ReplayBuffer:
    """`ReplayBuffer(capacity, state_size, rng=None)`: the last `capacity` transitions.

    `add(state, action, reward, next_state, terminated)` stores one transition, overwriting the
    oldest once the buffer is full; `sample(batch_size)` draws a batch uniformly with replacement
    (`rng`: a numpy Generator, an int seed, or None for the library's generator).
    """

    def __init__(self, capacity: int, state_size: int, rng=None, dtype=np.float32):
        self.capacity = check_int(capacity, "capacity", "ReplayBuffer", 1)
        state_size = check_int(state_size, "state_size", "ReplayBuffer", 1)
        self.rng = as_generator(rng, "ReplayBuffer")
        self.states = np.zeros((self.capacity, state_size), dtype)
        self.next_states = np.zeros((self.capacity, state_size), dtype)
        self.actions = np.zeros(self.capacity, np.int64)
        self.rewards = np.zeros(self.capacity, np.float64)
        self.terminated = np.zeros(self.capacity, bool)
        self.added = 0  # transitions ever added; the next one goes to slot added % capacity

    def __len__(self) -> int:
        return min(self.added, self.capacity)

    def add(self, state, action, reward, next_state, terminated):
        state, next_state = np.asarray(state), np.asarray(next_state)
        if state.shape != self.states.shape[1:] or next_state.shape != self.states.shape[1:]:
            raise ValueError(f"ReplayBuffer.add: states must have shape {self.states.shape[1:]}, got {state.shape} "
                             f"and {next_state.shape}")
        slot = self.added % self.capacity
        self.states[slot], self.actions[slot], self.rewards[slot] = state, action, reward
        self.next_states[slot], self.terminated[slot] = next_state, terminated
        self.added += 1

    def sample(self, batch_size: int) -> Transitions:
        batch_size = check_int(batch_size, "batch_size", "ReplayBuffer.sample", 1)
        if not len(self):
            raise ValueError("ReplayBuffer.sample: the buffer is empty; add transitions first")
        index = self.rng.integers(len(self), size=batch_size)
        return Transitions(self.states[index], self.actions[index], self.rewards[index], self.next_states[index],
                           self.terminated[index])
