"""A gymnasium environment for any `MDP` (the loop of fig. 19.6).

`MDPEnv(mdp, max_episode_steps=None)` is a `gymnasium.Env` with `Discrete` observation and action
spaces: `reset(seed=...)` draws the first state from `mdp.start`, and `step(action)` returns
`(next_state, reward, terminated, truncated, info)`. `terminated` is True on the step that leaves
a terminal state (the episode ends once the agent has acted there, see `MDP`); `truncated` is True
when `max_episode_steps` steps have been taken first.

gymnasium is optional (`pip install tinygrad_udl[rl]`): it is imported when `MDPEnv` is first
looked up, `from tinygrad_udl.rl.env import MDPEnv`, and the class is built then.
"""
from __future__ import annotations

import functools

from ..checks import check_int
from .mdp import MDP
from .simulate import Simulator


def __getattr__(name):
    if name == "MDPEnv":
        return _env_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _env_class():
    try:
        import gymnasium
    except ImportError:
        raise ImportError("tinygrad_udl.rl.env.MDPEnv needs gymnasium: pip install 'tinygrad_udl[rl]' "
                          "(or pip install gymnasium)") from None

    class MDPEnv(gymnasium.Env):
        """A tabular MDP as a gymnasium environment (see the module's docstring)."""

        metadata = {"render_modes": []}

        def __init__(self, mdp: MDP, max_episode_steps: int | None = None):
            if not isinstance(mdp, MDP):
                raise TypeError(f"MDPEnv: expected an MDP, got {type(mdp).__name__}")
            self.mdp = mdp
            self.observation_space = gymnasium.spaces.Discrete(mdp.n_states)
            self.action_space = gymnasium.spaces.Discrete(mdp.n_actions)
            self.max_episode_steps = (None if max_episode_steps is None
                                      else check_int(max_episode_steps, "max_episode_steps", "MDPEnv", 1))
            self._simulator = self._state = None
            self._steps = 0

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)  # seeds self.np_random, which drives every draw of the episode
            self._simulator = Simulator(self.mdp, self.np_random)
            self._state, self._steps = self._simulator.reset(), 0
            return self._state, {}

        def step(self, action):
            if self._state is None:
                raise RuntimeError("MDPEnv.step: call reset() before the first step")
            if not self.action_space.contains(action):
                raise ValueError(f"MDPEnv.step: action {action!r} is not in {self.action_space} "
                                 f"(actions {self.mdp.action_names})")
            self._state, reward, terminated = self._simulator.step(self._state, int(action))
            self._steps += 1
            truncated = (not terminated and self.max_episode_steps is not None
                         and self._steps >= self.max_episode_steps)
            return self._state, reward, terminated, truncated, {}

    return MDPEnv
