"""The learning curve of a deep RL run: one row every few environment steps.

A row holds `step` (environment steps so far, over all copies), `episodes` (episodes finished),
`return` (the mean undiscounted return of the episodes finished since the previous row; absent
when none finished), the mean of every loss added since the previous row (e.g. `train_loss`),
`seconds` since the start, and whatever `evaluate(...)` returns (e.g. `greedy_return`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .rollout import greedy_returns

__all__ = ["TrainingRecord", "Recorder", "BestGreedyCheckpoint", "progress_bar"]


def progress_bar(total: int, desc: str, progress):
    """The training loop's tqdm bar (`progress`: True, False, or None for "when stdout is a
    terminal"), imported when a run starts so that `import tinygrad_udl.rl` stays light."""
    from ..training.loop import _progress_bar

    return _progress_bar(total, desc, progress)


@dataclass(frozen=True)
class TrainingRecord:
    """rows: the learning curve (see the module); episode_returns: the undiscounted return of every
    training episode in order; steps: environment steps taken; seconds: wall time."""
    rows: list
    episode_returns: np.ndarray
    steps: int
    seconds: float


class Recorder:
    """Collects the rows of a `TrainingRecord` from an `EnvPool`'s finished episodes and the losses
    reported with `add`; `evaluate()` -> dict of further fields, called for every row."""

    def __init__(self, pool, evaluate=None):
        self.pool, self.evaluate = pool, evaluate
        self.start = time.perf_counter()
        self.rows, self._losses, self._seen = [], {}, 0

    def add(self, **losses):
        for name, value in losses.items():
            self._losses.setdefault(name, []).append(float(value))

    def row(self, step: int) -> dict:
        returns = self.pool.finished_returns
        row = {"step": int(step), "episodes": len(returns)}
        if len(returns) > self._seen:
            row["return"] = float(np.mean(returns[self._seen:]))
        self._seen = len(returns)
        row.update({name: float(np.mean(values)) for name, values in self._losses.items()})
        self._losses = {}
        if self.evaluate is not None:
            row.update(self.evaluate())
        row["seconds"] = round(time.perf_counter() - self.start, 3)
        self.rows.append(row)
        return row

    def record(self, steps: int) -> TrainingRecord:
        return TrainingRecord(self.rows, np.array(self.pool.finished_returns), int(steps),
                              round(time.perf_counter() - self.start, 3))


class BestGreedyCheckpoint:
    """An `evaluate` callback that keeps the best network seen: each call measures the mean return
    of the network's greedy policy over `episodes` episodes seeded by `seed` (the same episodes
    every time: a validation set) and keeps a copy of the parameters when it is the best so far
    (ties go to the later, longer-trained network); `restore()` loads that copy back.

    Deep Q-learning in particular is known to forget a good policy as it trains on ("convergence
    is no longer guaranteed", section 19.4); keeping the best validated checkpoint is early
    stopping (section 9.3.1) for RL. Report the result on other seeds than these.
    """

    def __init__(self, network, make_env, episodes: int = 5, seed: int = 0):
        self.network, self.make_env, self.episodes, self.seed = network, make_env, episodes, seed
        self.best, self.best_row, self._state, self._calls = -np.inf, None, None, 0

    def __call__(self, network=None) -> dict:
        self._calls += 1
        score = float(greedy_returns(self.make_env, self.network, self.episodes, self.seed).mean())
        if score >= self.best:
            self.best, self.best_row = score, self._calls - 1
            self._state = {name: np.array(value, copy=True) for name, value in self.network.state_dict().items()}
        return {"greedy_return": score}

    def restore(self):
        if self._state is None:
            raise RuntimeError("BestGreedyCheckpoint.restore: nothing evaluated yet")
        self.network.load_state_dict(self._state)
        return self.network
