"""The zoo entries of chapter 19 (reinforcement learning): each ends with ours beside an exact
reference -- the optimal values and policy of the penguin's ice from linear programming, or
CartPole-v1's largest return, 500 -- and the book's printed number where it prints one (fig.
19.12's Q-learning step).

The entries use the zoo's hooks for experiments that are not supervised training: `trainer`,
`extra_rows` and `metrics=()` (see `trainers.py`), and `pictures` (`plots.py`) for the learning
curves of returns and the penguin's ice, drawn by `tinygrad-udl train NAME --plot`.
"""
from __future__ import annotations

import numpy as np

from ..registry import ZooEntry
from .networks import ActionValueTable, PolicyAndValue, QNetwork
from .plots import cartpole_pictures, gridworld_pictures
from .tasks import TASKS
from .trainers import (cartpole_rows, dqn_gridworld_rows, dynamic_programming_rows, q_learning_rows,
                       train_actor_critic, train_dqn, train_dynamic_programming, train_q_learning, train_reinforce)


PENGUIN = {"state_size": 16, "n_actions": 4}
PENGUIN_SOURCE = ("book: the penguin's ice of fig. 19.10 (slip: the intended move with probability 0.5, fig. "
                  "19.3c; hole -2, fish +3 and the end, problem 19.3), gamma 0.9 (fig. 19.2)")
TABLE = {"n_states": 16, "n_actions": 4, "dtype": np.float64}  # exact to round-off: float64
CARTPOLE_SOURCE = "ours (the book prints no CartPole experiment); gamma 0.99"

DQN_CARTPOLE = {"lr": 2.3e-3, "batch_size": 64, "buffer_size": 100_000, "learning_starts": 1_000, "train_every": 256,
                "gradient_steps": 128, "target_update": 256, "exploration_steps": 8_000, "epsilon_end": 0.04,
                "loss": "huber", "max_grad_norm": 10.0, "record_every": 2_000, "steps": 50_000}
DQN_PENGUIN = {"gamma": 0.9, "lr": 3e-3, "lr_end": 3e-5, "batch_size": 128, "buffer_size": 40_000,
               "learning_starts": 1_000, "train_every": 4, "target_update": 400, "epsilon_start": 1.0,
               "epsilon_end": 1.0, "loss": "squared", "record_every": 2_000, "steps": 40_000}
REINFORCE_CARTPOLE = {"episodes_per_iteration": 8, "lr": 3e-3, "value_lr": 1e-3, "value_steps": 20,
                      "discount_steps": True, "record_every": 10, "steps": 80}
ACTOR_CRITIC_CARTPOLE = {"n_envs": 8, "n_steps": 16, "td_steps": 1, "actor_lr": 5e-4, "critic_lr": 3e-3,
                         "record_every": 10_000, "steps": 250_000}


def _cartpole(name, section, description, factory, task, hyper, source, trainer):
    """An entry on CartPole-v1: the same networks (two hidden layers of 64; tiny: one of 3), rows
    (returns against the maximum of 500) and pictures for all three learners."""
    return ZooEntry(name, section, description, factory, TASKS[task], hyper, f"{CARTPOLE_SOURCE}; {source}",
                    model_kwargs={"widths": (64, 64)}, tiny={"widths": (3,)}, metrics=(), trainer=trainer,
                    extra_rows=cartpole_rows, pictures=cartpole_pictures)


def entries() -> list:
    """The entries of chapter 19, in book order."""
    return [
        ZooEntry("gridworld-dp", "19.3.1, fig. 19.10", "value iteration and policy iteration on the penguin's ice "
                   "(eqs. 19.8-19.12)", ActionValueTable, TASKS["penguin"], {"tol": 1e-10},
                   PENGUIN_SOURCE + "; values start at 0, policy iteration from a random policy (section 19.3.1)",
                   model_kwargs=TABLE, tiny=TABLE, metrics=(), trainer=train_dynamic_programming,
                   extra_rows=dynamic_programming_rows, pictures=gridworld_pictures),
        ZooEntry("gridworld-q-learning", "19.3.3, eq. 19.15, fig. 19.12", "tabular Q-learning on the penguin's ice",
                   ActionValueTable, TASKS["penguin"],
                   {"episodes": 3_000, "alpha": 0.5, "alpha_decay": 0.7, "epsilon": 0.5, "exploring_starts": True,
                    "max_steps": 100},
                   PENGUIN_SOURCE + "; ours: the step size alpha/n^0.7 for the n-th update of (s, a), epsilon-greedy "
                   "with epsilon 0.5, exploring starts, episodes cut after 100 steps",
                   model_kwargs=TABLE, tiny=TABLE, metrics=(), trainer=train_q_learning, extra_rows=q_learning_rows,
                   pictures=gridworld_pictures),
        ZooEntry("dqn-gridworld", "19.4, eqs. 19.16-19.18", "fitted Q-learning with a 16-32-4 network over one-hot "
                   "states of the penguin's ice", QNetwork, TASKS["penguin"], DQN_PENGUIN,
                   PENGUIN_SOURCE + "; ours: uniformly random actions (Q-learning learns q* off-policy) from a random "
                   "first state, Adam with lr falling 3e-3 -> 3e-5, target network every 400 steps",
                   model_kwargs={**PENGUIN, "widths": (32,)}, tiny={**PENGUIN, "widths": (3,)}, metrics=(),
                   trainer=train_dqn, extra_rows=dqn_gridworld_rows, pictures=gridworld_pictures),
        _cartpole("dqn-cartpole", "19.4.1, eq. 19.18", "deep Q-network (replay buffer, target network, "
                  "epsilon-greedy) on CartPole-v1", QNetwork, "cartpole-q", DQN_CARTPOLE,
                  "the settings of the rl-baselines3-zoo for DQN on CartPole (Huber loss, 128 Adam steps every 256 "
                  "environment steps, target network refreshed between them)", train_dqn),
        _cartpole("reinforce-cartpole", "19.5.2-19.5.4, eqs. 19.32-19.39", "REINFORCE with a value-network "
                  "baseline on CartPole-v1", PolicyAndValue, "cartpole-policy", REINFORCE_CARTPOLE,
                  "the book's gamma^t factor (eq. 19.33); ours: 8 episodes per Adam step, the baseline refitted by "
                  "20 Adam steps of eq. 19.39 after each", train_reinforce),
        _cartpole("actor-critic-cartpole", "19.6, eqs. 19.40-19.42", "actor-critic with TD(0) advantages on "
                  "CartPole-v1", PolicyAndValue, "cartpole-actor-critic", ACTOR_CRITIC_CARTPOLE,
                  "the book's TD(0) target r + gamma v[s'] (eq. 19.40); ours: 8 environments x 16 steps per update, "
                  "Adam with lr 5e-4 (actor) and 3e-3 (critic)", train_actor_critic),
    ]
