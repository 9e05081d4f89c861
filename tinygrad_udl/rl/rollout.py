"""Running a network's policy in gymnasium environments (the loop of fig. 19.6), for the deep
methods of sections 19.4–19.6.

- `observation_encoder`: what a network sees: a Box observation as a float vector, a Discrete
  one (a tabular MDP's state) as a one-hot vector.
- `EnvPool`: several copies of an environment stepped side by side, so that one forward pass of
  the network chooses the actions of all of them. `step` resets an episode as soon as it ends
  (actor–critic, DQN); `episodes` runs one whole episode per copy (REINFORCE, evaluation).
- `Rollouts`: whole episodes as padded arrays.

The tabular MDPs of this package run through `env.MDPEnv`; `sample_episodes` (simulate.py) stays
the fast way to sample a tabular policy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor
from ..checks import check_int
from ..distributions import Categorical

__all__ = ["observation_encoder", "observation_size", "Rollouts", "EnvPool", "greedy_actions", "sampled_actions",
           "greedy_returns"]


def observation_encoder(space, dtype=np.float32):
    """A function mapping one observation of the gymnasium `space` to a float vector: a `Box`
    observation flattened, a `Discrete` one as one-hot (so a network over one-hot states with no
    hidden layer is a table, section 19.4)."""
    kind = type(space).__name__
    if kind == "Discrete":
        eye = np.eye(int(space.n), dtype=dtype)
        return lambda observation: eye[int(observation) - int(space.start)]
    if kind == "Box":
        return lambda observation: np.asarray(observation, dtype=dtype).ravel()
    raise TypeError(f"observation_encoder: observations of a {kind} space are not supported (use Box or Discrete)")


def observation_size(space) -> int:
    """The length of the vectors `observation_encoder(space)` makes."""
    return int(space.n) if type(space).__name__ == "Discrete" else int(np.prod(space.shape))


@dataclass(frozen=True)
class Rollouts:
    """I episodes padded to the longest, T steps: observations (I, T, D), actions (I, T),
    rewards (I, T) (rewards[i, t] is the book's r_{i,t+1}, paid for the action at step t),
    mask (I, T) (step t happened), final_observations (I, D) (the observation after each
    episode's last step) and terminated (I,): the episode ended, rather than being cut short by
    a time limit (then its final observation still has a value)."""
    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray
    final_observations: np.ndarray
    terminated: np.ndarray

    @property
    def returns(self) -> np.ndarray:
        """The undiscounted return Σ_t r_it of each episode (the score of an environment)."""
        return self.rewards.sum(axis=1)

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)


class EnvPool:
    """`EnvPool(make_env, n, seed)`: `n` environments from `make_env()` (Discrete actions); `seed`
    is an int or a numpy SeedSequence.

    Each copy is reset with its own seed, derived from `seed`, the first time, and continues its
    random stream after that, so a pool is repeatable. `observations` holds the current encoded
    observation of every copy (`observation_encoder`). The undiscounted returns of the episodes
    that end are appended to `finished_returns`.
    """

    def __init__(self, make_env, n: int, seed=0):
        n = check_int(n, "n", "EnvPool", 1)
        self.envs = [make_env() for _ in range(n)]
        space = self.envs[0].action_space
        if type(space).__name__ != "Discrete":
            raise TypeError(f"EnvPool: the policies here choose among discrete actions; this environment's actions "
                            f"are a {type(space).__name__} space")
        self.n_actions = int(space.n)
        self.encode = observation_encoder(self.envs[0].observation_space)
        self.observation_size = observation_size(self.envs[0].observation_space)
        sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._seeds = [int(s) for s in sequence.generate_state(n)]
        self._seeded = [False] * n
        self._current = np.zeros((n, self.observation_size), np.float32)
        self._stale = np.ones(n, bool)  # copies to reset before their next step
        self._running = np.zeros(n)  # the return so far of each copy's current episode
        self.finished_returns: list[float] = []

    def __len__(self):
        return len(self.envs)

    @property
    def observations(self) -> np.ndarray:
        """The current observation of every copy (resetting the copies whose episode has ended)."""
        for i in np.flatnonzero(self._stale):
            self._current[i] = self._reset(i)
        return self._current

    def _reset(self, i) -> np.ndarray:
        seed = None if self._seeded[i] else self._seeds[i]
        self._seeded[i], self._stale[i], self._running[i] = True, False, 0.0
        return self.encode(self.envs[i].reset(seed=seed)[0])

    def step(self, actions):
        """Take one action in every copy; a copy whose episode ends is reset. Returns
        (next_observations, rewards, terminated, truncated), where next_observations are the
        observations the actions led to, before any reset: what bootstrapped targets need."""
        current = self.observations
        actions = np.asarray(actions)
        n = len(self.envs)
        next_observations = np.empty_like(current)
        rewards, terminated, truncated = np.zeros(n), np.zeros(n, bool), np.zeros(n, bool)
        for i, env in enumerate(self.envs):
            observation, rewards[i], terminated[i], truncated[i], _ = env.step(int(actions[i]))
            next_observations[i] = current[i] = self.encode(observation)
            self._running[i] += rewards[i]
            if terminated[i] or truncated[i]:
                self.finished_returns.append(float(self._running[i]))
                self._stale[i] = True
        return next_observations, rewards, terminated, truncated

    def episodes(self, act, max_steps: int | None = None) -> Rollouts:
        """One whole episode in every copy, from a fresh reset, choosing the actions of the copies
        still running with `act(observations) -> actions` (one call per step for all of them);
        an episode longer than `max_steps` steps is cut short (not terminated)."""
        n = len(self.envs)
        self._stale[:] = True
        current = self.observations.copy()
        alive, terminated = np.ones(n, bool), np.zeros(n, bool)
        observations, actions, rewards, masks = [], [], [], []
        while alive.any() and (max_steps is None or len(masks) < max_steps):
            chosen, reward = np.zeros(n, np.int64), np.zeros(n)
            chosen[alive] = np.asarray(act(current[alive]))
            observations.append(current.copy())
            masks.append(alive.copy())
            for i in np.flatnonzero(alive):
                observation, reward[i], ended, cut, _ = self.envs[i].step(int(chosen[i]))
                current[i] = self.encode(observation)
                if ended or cut:
                    alive[i], terminated[i] = False, bool(ended)
            actions.append(chosen)
            rewards.append(reward)
        self._stale[:] = True  # every copy starts a new episode at its next step
        rollouts = Rollouts(np.stack(observations, axis=1), np.stack(actions, axis=1), np.stack(rewards, axis=1),
                            np.stack(masks, axis=1), current, terminated)
        self.finished_returns.extend(rollouts.returns[~alive].tolist())
        return rollouts


def greedy_actions(network):
    """act(observations) -> the action with the largest output of `network` for each row (the
    greedy policy of a Q-network, eq. 19.13, or the likeliest action of a policy network)."""
    def act(observations):
        with no_grad():
            return network(Tensor(observations)).numpy().argmax(axis=1)
    return act


def sampled_actions(policy_network, rng):
    """act(observations) -> actions drawn from π[· | s] = softmax(policy_network(s)) (section
    19.5.2), a `Categorical`, with the numpy Generator `rng`."""
    def act(observations):
        with no_grad():
            return Categorical(logits=policy_network(Tensor(observations))).sample(rng=rng).numpy()
    return act


def greedy_returns(make_env, network, n_episodes: int = 10, seed=0, max_steps: int | None = None) -> np.ndarray:
    """The undiscounted returns of `n_episodes` episodes of `network`'s greedy policy, from
    environments seeded by `seed` (the same seed gives the same episodes)."""
    return EnvPool(make_env, n_episodes, seed).episodes(greedy_actions(network), max_steps).returns
