"""Model-free tabular learning of the values of action (sections 19.3.2–19.3.3 and 19.4.2).

The learners only sample the MDP (through `Simulator`); they never read P or R. Each returns a
`LearningResult` that reports how far its action values are from the exact ones that dynamic
programming computes from the model:

- `monte_carlo_control`: averages of observed returns, then the greedy policy (eq. 19.13), with
  exploring starts and/or ε-greedy episodes.
- `sarsa`: on-policy temporal differences (eq. 19.14).
- `q_learning`: off-policy temporal differences (eq. 19.15).
- `double_q_learning`: two tables, each evaluating the other's choice (eq. 19.20).

The single updates are functions too (`q_learning_update` reproduces fig. 19.12).

Exact references: Q-learning and double Q-learning learn q* whatever the behaviour policy. The
on-policy methods learn the values of the policy they follow, so with ε > 0 they approach the
best ε-soft action values (`value_iteration(mdp, epsilon=ε)`); with ε = 0 that is q* again.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_int
from .dp import value_iteration
from .mdp import MDP
from .policy import greedy_policy
from .simulate import Simulator

__all__ = ["LearningResult", "td_update", "sarsa_update", "q_learning_update", "double_q_learning_update",
           "monte_carlo_control", "sarsa", "q_learning", "double_q_learning"]


# ---- single updates ---------------------------------------------------------------------------------

def td_update(q_sa: float, target: float, alpha: float) -> float:
    """q ← q + α·(target − q): the temporal-difference step shared by eqs. 19.14, 19.15 and 19.20."""
    return q_sa + alpha * (target - q_sa)


def sarsa_update(q_sa, reward, q_next_sa, alpha, gamma, terminated=False) -> float:
    """Eq. 19.14: q[s_t, a_t] + α·(r[s_t, a_t] + γ·q[s_{t+1}, a_{t+1}] − q[s_t, a_t]), with a_{t+1} the
    action actually taken next. After the last step of an episode (`terminated`) the target is r."""
    return td_update(q_sa, reward + (0.0 if terminated else gamma * q_next_sa), alpha)


def q_learning_update(q_sa, reward, q_next, alpha, gamma, terminated=False) -> float:
    """Eq. 19.15: q[s_t, a_t] + α·(r[s_t, a_t] + γ·max_a q[s_{t+1}, a] − q[s_t, a_t]). `q_next` holds the
    next state's action values q[s_{t+1}, :] (or just their maximum).

    Fig. 19.12: q = 1.20, reward 0, best next value 0.43, γ = 0.9, α = 0.1 gives 1.12 (1.1187).
    """
    return td_update(q_sa, reward + (0.0 if terminated else gamma * float(np.max(q_next))), alpha)


def double_q_learning_update(q_sa, reward, q_next_own, q_next_other, alpha, gamma, terminated=False) -> float:
    """Eq. 19.20 for the table being updated: the action is chosen by this table's next-state values
    `q_next_own`, but valued by the other table's `q_next_other`, which removes the upward bias
    of max_a in eq. 19.19 (section 19.4.2)."""
    bootstrap = q_next_other[int(np.argmax(q_next_own))]
    return td_update(q_sa, reward + (0.0 if terminated else gamma * bootstrap), alpha)


# ---- learners --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearningResult:
    """q: the learned values of action; policy: greedy in q (eq. 19.13); reference: the exact action
    values that q approaches (from dynamic programming); errors: max_s,a |q − reference| after
    every `record_every` episodes (the last entry is the final error); episodes, steps: counts."""
    q: np.ndarray
    policy: np.ndarray
    reference: np.ndarray
    errors: np.ndarray
    episodes: int
    steps: int

    @property
    def q_error(self) -> float:
        """max_s,a |q − reference|."""
        return float(np.abs(self.q - self.reference).max())


def monte_carlo_control(mdp: MDP, n_episodes: int, epsilon: float = 0.0, exploring_starts: bool = True,
                        max_steps: int = 200, rng=None, record_every: int | None = None) -> LearningResult:
    """Monte Carlo control (section 19.3.2): run an episode with the current policy, set q[s, a] to
    the mean of the returns observed after the first visit of (s, a) in each episode, and act
    greedily in q (eq. 19.13). Exploration comes from exploring starts (each episode begins with
    a uniformly random state and action) and/or ε-greedy actions. An episode cut at `max_steps`
    misses the rest of its return, so prefer MDPs whose episodes end, or γ^max_steps ≈ 0."""
    run = _Run(mdp, "monte_carlo_control", n_episodes, epsilon, exploring_starts, max_steps, rng, record_every,
               reference_epsilon=epsilon)
    q, visits = np.zeros((mdp.n_states, mdp.n_actions)), np.zeros((mdp.n_states, mdp.n_actions))
    for _ in range(run.n_episodes):
        trajectory = run.episode(q)
        first_visit = {}
        for t, (s, a, _) in enumerate(trajectory):
            first_visit.setdefault((s, a), t)
        returns = 0.0
        for t in range(len(trajectory) - 1, -1, -1):
            s, a, r = trajectory[t]
            returns = r + mdp.gamma * returns
            if first_visit[s, a] == t:
                visits[s, a] += 1
                q[s, a] += (returns - q[s, a]) / visits[s, a]  # running mean of the returns
        run.record(q)
    return run.result(q)


def sarsa(mdp: MDP, n_episodes: int, alpha: float = 0.1, epsilon: float = 0.1, alpha_decay: float = 0.0,
          exploring_starts: bool = False, max_steps: int = 200, rng=None,
          record_every: int | None = None) -> LearningResult:
    """SARSA (eq. 19.14), acting ε-greedily in q. The step size for the n-th update of (s, a) is
    α/n^alpha_decay: 0 keeps the book's constant α; 0.5 < alpha_decay ≤ 1 meets the conditions
    under which the tabular updates converge (Robbins–Monro)."""
    run = _Run(mdp, "sarsa", n_episodes, epsilon, exploring_starts, max_steps, rng, record_every,
               reference_epsilon=epsilon)
    q, step = np.zeros((mdp.n_states, mdp.n_actions)), _StepSize(mdp, alpha, alpha_decay, "sarsa")
    for _ in range(run.n_episodes):
        for s, a, r, s_next, a_next, terminated in run.transitions(q):
            q[s, a] = sarsa_update(q[s, a], r, q[s_next, a_next], step(s, a), mdp.gamma, terminated)
        run.record(q)
    return run.result(q)


def q_learning(mdp: MDP, n_episodes: int, alpha: float = 0.1, epsilon: float = 0.1, alpha_decay: float = 0.0,
               exploring_starts: bool = False, max_steps: int = 200, rng=None,
               record_every: int | None = None) -> LearningResult:
    """Q-learning (eq. 19.15), acting ε-greedily in q (any exploring behaviour will do: it is
    off-policy). Step sizes as in `sarsa`."""
    run = _Run(mdp, "q_learning", n_episodes, epsilon, exploring_starts, max_steps, rng, record_every)
    q, step = np.zeros((mdp.n_states, mdp.n_actions)), _StepSize(mdp, alpha, alpha_decay, "q_learning")
    for _ in range(run.n_episodes):
        for s, a, r, s_next, _, terminated in run.transitions(q):
            q[s, a] = q_learning_update(q[s, a], r, q[s_next], step(s, a), mdp.gamma, terminated)
        run.record(q)
    return run.result(q)


def double_q_learning(mdp: MDP, n_episodes: int, alpha: float = 0.1, epsilon: float = 0.1,
                      alpha_decay: float = 0.0, exploring_starts: bool = False, max_steps: int = 200, rng=None,
                      record_every: int | None = None) -> LearningResult:
    """Double Q-learning (eq. 19.20): each transition updates one of two tables, chosen at random,
    with the other table valuing its greedy choice. Acts ε-greedily in q₁ + q₂; the result's q
    is their average. Step sizes as in `sarsa`, counted per table."""
    run = _Run(mdp, "double_q_learning", n_episodes, epsilon, exploring_starts, max_steps, rng, record_every)
    tables = np.zeros((2, mdp.n_states, mdp.n_actions))
    total = np.zeros((mdp.n_states, mdp.n_actions))  # q₁ + q₂, kept current for the behaviour policy
    steps = [_StepSize(mdp, alpha, alpha_decay, "double_q_learning") for _ in tables]
    for _ in range(run.n_episodes):
        for s, a, r, s_next, _, terminated in run.transitions(total):
            own = int(run.rng.random() < 0.5)
            q, other = tables[own], tables[1 - own]
            q[s, a] = double_q_learning_update(q[s, a], r, q[s_next], other[s_next], steps[own](s, a), mdp.gamma,
                                               terminated)
            total[s, a] = q[s, a] + other[s, a]
        run.record(total / 2)
    return run.result(total / 2)


class _StepSize:
    """α_n = α/n^decay for the n-th update of (s, a)."""

    def __init__(self, mdp, alpha, decay, where):
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"{where}: the learning rate alpha must be in (0, 1] (eq. 19.14), got {alpha}")
        if decay < 0:
            raise ValueError(f"{where}: alpha_decay must be >= 0, got {decay}")
        self.alpha, self.decay = alpha, decay
        self.updates = np.zeros((mdp.n_states, mdp.n_actions))

    def __call__(self, s, a) -> float:
        self.updates[s, a] += 1
        return self.alpha / self.updates[s, a] ** self.decay


class _Run:
    """What every learner shares: arguments, ε-greedy episodes from the simulator, the exact
    reference and the error history."""

    def __init__(self, mdp, where, n_episodes, epsilon, exploring_starts, max_steps, rng, record_every,
                 reference_epsilon=0.0):
        if not isinstance(mdp, MDP):
            raise TypeError(f"{where}: expected an MDP, got {type(mdp).__name__}")
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"{where}: epsilon must be in [0, 1], got {epsilon}")
        self.mdp, self.epsilon, self.exploring_starts = mdp, epsilon, exploring_starts
        self.n_episodes = check_int(n_episodes, "n_episodes", where, 1)
        self.max_steps = check_int(max_steps, "max_steps", where, 1)
        self.record_every = (max(1, self.n_episodes // 100) if record_every is None
                             else check_int(record_every, "record_every", where, 1))
        self.rng = as_generator(rng, where)
        self.simulator = Simulator(mdp, self.rng)
        self.reference = value_iteration(mdp, tol=1e-12, epsilon=reference_epsilon).q
        self.errors, self.episodes_done, self.steps = [], 0, 0

    def act(self, q, s) -> int:
        if self.epsilon and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.mdp.n_actions))
        return int(np.argmax(q[s]))

    def first_step(self, q) -> tuple[int, int]:
        if self.exploring_starts:
            return int(self.rng.integers(self.mdp.n_states)), int(self.rng.integers(self.mdp.n_actions))
        s = self.simulator.reset()
        return s, self.act(q, s)

    def transitions(self, q):
        """Yields (s, a, r, s′, a′, terminated) along one episode; a′ is chosen ε-greedily before the
        caller updates q[s, a] (SARSA needs it; the off-policy learners ignore it)."""
        s, a = self.first_step(q)
        for _ in range(self.max_steps):
            s_next, r, terminated = self.simulator.step(s, a)
            a_next = self.act(q, s_next)
            self.steps += 1
            yield s, a, r, s_next, a_next, terminated
            if terminated:
                return
            s, a = s_next, a_next

    def episode(self, q) -> list[tuple[int, int, float]]:
        """One episode's (s, a, r) steps, acting with the q of its start."""
        return [(s, a, r) for s, a, r, *_ in self.transitions(q)]

    def record(self, q):
        self.episodes_done += 1
        if self.episodes_done % self.record_every == 0 or self.episodes_done == self.n_episodes:
            self.errors.append(np.abs(q - self.reference).max())

    def result(self, q) -> LearningResult:
        return LearningResult(q.copy(), greedy_policy(q), self.reference, np.array(self.errors), self.episodes_done,
                              self.steps)
