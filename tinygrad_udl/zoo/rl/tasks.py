"""The environments of the chapter-19 zoo entries, as `Task`s.

A reinforcement-learning run has no fixed data set: the agent collects its data by acting. The
zoo's `Task` protocol still asks for a `Split` of (inputs, targets) with a loss, which the zoo
uses for forward passes and gradient checks of the networks (`ZooEntry.example_inputs`). So each
task's `load()` returns an `Environment`: a `Split` of fixed, seeded experience with the targets
the entry's loss regresses on, plus what the trainers need to act: `make_env()` (a gymnasium
environment) and, for the gridworld, the tabular `mdp`.

- "penguin": every (state, action) pair of the penguin's ice (fig. 19.10) as one-hot states, with
  the exact q*[s, a] from dynamic programming as targets; the loss is eq. 19.16's squared
  error with the target held constant. DQN's episodes start from a uniformly random state
  (`exploring_penguin`), so that every state keeps being visited.
- "cartpole-q", "cartpole-policy", "cartpole-actor-critic": the transitions of 20 episodes of the
  uniformly random policy in CartPole-v1 (gymnasium; pure numpy, nothing to download), with
  their discounted rewards-to-go as the targets of the fitted-Q loss (eq. 19.16) and of
  `policy_and_value_loss` (eqs. 19.33–19.42).

CartPole-v1 pays +1 for every step that the pole stays up, and stops an episode after 500 steps:
the largest return is exactly 500 (`CARTPOLE_MAX_RETURN`), the reference the entries compare with.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...autograd.tensor import Tensor
from ...rl import MDP, penguin_gridworld, value_iteration
from ...rl.agents import policy_gradient_surrogate
from ...rl.dqn import fitted_q_loss
from ...rl.rollout import EnvPool
from ...rl.simulate import rewards_to_go
from ..tasks import Split, Task

CARTPOLE = "CartPole-v1"
CARTPOLE_MAX_RETURN = 500.0  # +1 per step, episodes cut after 500 steps (gymnasium's CartPole-v1)
CARTPOLE_GAMMA = 0.99  # ours: the book's examples use 0.9, too short a horizon for a 500-step task
PENGUIN_EPISODE_STEPS = 100  # cut penguin episodes (and bootstrap: a cut is not an end) after 100 steps


@dataclass(frozen=True)
class Environment(Split):
    """A `Split` of seeded experience (see the module) plus `make_env()`, which makes a fresh
    gymnasium environment for the agent, and the tabular `mdp` where there is one."""
    make_env: Callable = None
    mdp: MDP | None = None


def make_cartpole():
    """gymnasium's CartPole-v1 (gymnasium is the optional `rl` extra)."""
    try:
        import gymnasium
    except ImportError:
        raise ImportError("the CartPole entries need gymnasium: pip install 'tinygrad_udl[rl]'") from None
    return gymnasium.make(CARTPOLE)


def exploring_penguin() -> MDP:
    """The penguin with a uniformly random first state (the exploring starts of section 19.3.2,
    without forcing the first action); the values, and so q*, are those of `penguin_gridworld()`."""
    penguin = penguin_gridworld()
    return MDP(penguin.P, penguin.R, penguin.gamma, terminal=penguin.terminal, action_names=penguin.action_names)


def make_penguin_env():
    """`exploring_penguin()` as a gymnasium environment whose episodes are cut after 100 steps."""
    from ...rl.env import MDPEnv  # gymnasium, imported when an environment is made

    return MDPEnv(exploring_penguin(), max_episode_steps=PENGUIN_EPISODE_STEPS)


@functools.cache
def penguin() -> Environment:
    """Every (state, action) of the penguin: one-hot states (64, 16), targets (64, 2) holding the
    action and q*[s, a] (value iteration to 1e-12)."""
    mdp = penguin_gridworld()
    q_star = value_iteration(mdp, tol=1e-12).q
    states, actions = np.divmod(np.arange(mdp.n_states * mdp.n_actions), mdp.n_actions)
    x = np.eye(mdp.n_states, dtype=np.float32)[states]
    y = np.stack([actions, q_star[states, actions]], axis=1)
    return Environment((x, y), (x, y), make_penguin_env, mdp)


def _random_policy_steps(seed, n_episodes=20):
    """(states, actions, rewards-to-go r[τ_it] (eq. 19.32), discounts γ^t) over every step of
    `n_episodes` CartPole episodes of the uniformly random policy."""
    pool = EnvPool(make_cartpole, n_episodes, seed)
    rng = np.random.default_rng(seed)
    episodes = pool.episodes(lambda observations: rng.integers(0, pool.n_actions, len(observations)))
    returns = rewards_to_go(episodes.rewards, CARTPOLE_GAMMA)
    discounts = np.broadcast_to(CARTPOLE_GAMMA ** np.arange(returns.shape[1]), returns.shape)
    mask = episodes.mask
    return episodes.observations[mask], episodes.actions[mask], returns[mask], discounts[mask]


def _cartpole(columns) -> Environment:
    halves = []
    for seed in (0, 1):  # training and test experience
        states, actions, returns, discounts = _random_policy_steps(seed)
        y = np.stack([actions, returns, discounts][:columns], axis=1)
        halves.append((states, y))
    return Environment(*halves, make_env=make_cartpole)


cartpole_returns = functools.cache(functools.partial(_cartpole, 2))  # (action, return)
cartpole_discounted = functools.cache(functools.partial(_cartpole, 3))  # (action, return, γ^t)


def q_loss(output, y):
    """Eq. 19.16 with constant targets: mean (q[s, a, φ] − y)² over the rows (a, y) of `y`."""
    return fitted_q_loss(output, y[:, 0].astype(np.int64), y[:, 1])


def policy_and_value_loss(output, y):
    """The loss of a policy and a value network on a batch, for outputs (logits, value) of
    `PolicyAndValue` and rows (a, r[τ], discount) of `y` (discount γ^t for REINFORCE, eq. 19.33;
    1 when absent, as in actor–critic's eq. 19.41):

        policy: −Σ_b w_b·log π[a_b | s_b],  w_b = discount_b·(r[τ_b] − mean r[τ])/B   (eqs. 19.34, 19.37)
        value:  mean_b (v[s_b, φ] − r[τ_b])²                                          (eqs. 19.39, 19.42)

    The baseline here is the batch's mean return, a constant of the data: in training it is the
    value network's prediction, held constant (`reinforce_loss`, `actor_critic_losses`), which
    finite differences of a loss cannot reproduce; this loss is what the gradient checks use."""
    logits, values = output[:, :-1], output[:, -1]
    returns = y[:, 1]
    discounts = y[:, 2] if y.shape[1] > 2 else 1.0
    weights = discounts * (returns - returns.mean()) / len(y)
    error = values - Tensor(returns.astype(values.dtype))
    return policy_gradient_surrogate(logits, y[:, 0].astype(np.int64), weights) + (error * error).mean()


TASKS = {task.name: task for task in (
    Task("penguin", "the penguin's slippery 4x4 ice (fig. 19.10), gamma 0.9, from a random first state; targets: "
         "the exact q* of every (state, action)", penguin, q_loss, loss_name="squared error"),
    Task("cartpole-q", "CartPole-v1 (gymnasium), gamma 0.99; targets: the discounted returns of 20 random-policy "
         "episodes", cartpole_returns, q_loss, loss_name="squared error"),
    Task("cartpole-policy", "CartPole-v1 (gymnasium), gamma 0.99; targets: the discounted returns-to-go of 20 "
         "random-policy episodes", cartpole_discounted, policy_and_value_loss, loss_name="policy and value loss"),
    Task("cartpole-actor-critic", "CartPole-v1 (gymnasium), gamma 0.99; targets: the discounted returns of 20 "
         "random-policy episodes", cartpole_returns, policy_and_value_loss, loss_name="policy and value loss"),
)}
