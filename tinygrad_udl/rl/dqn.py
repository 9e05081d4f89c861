"""Fitted Q-learning and deep Q-networks (section 19.4, eqs. 19.16–19.18 and 19.21).

A network q[s, a, φ] replaces the table of Q-learning: it takes the state and predicts the value
of every action at once (section 19.4.1). Its loss is the squared inconsistency between adjacent
values of action,

    L[φ] = (r[s_t, a_t] + γ·max_a q[s_{t+1}, a, φ⁻] − q[s_t, a_t, φ])²                   (eq. 19.16)

differentiated only through the prediction q[s_t, a_t, φ]: the target is held constant, which
is what makes the step eq. 19.17 (φ⁻ = φ) or eq. 19.18 (φ⁻ a periodically refreshed copy, the
"target network"). `q_learning_targets` computes the targets under `no_grad()`, so no gradient
can reach them. `dqn` adds the other ingredients of section 19.4.1: a replay buffer sampled
uniformly, the target network, and ε-greedy actions; `double=True` chooses the next action with
the online network and values it with the target network (double DQN, eq. 19.21).

Not in the book but standard since the DQN paper: the Huber loss (`loss="huber"`: squared for
|error| ≤ 1, linear beyond, so one large error cannot dominate a step) and clipping the gradient's
norm. The book's loss is `loss="squared"`.

`dqn`'s gradient of the loss is a compiled step (`tinygrad_udl.compile`; `compile=False` runs it
eagerly, with the same numbers): the batch and its targets (computed with the target network
beforehand) are its arguments; the gradient clipping and the optimizer's step follow it, outside
(clipping rewrites the gradients in numpy, which a replay would not see).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor, minimum
from ..checks import check_int
from ..compile import compile as compile_step
from ..optim import Adam, LinearLR, clip_grad_norm_
from .record import Recorder, TrainingRecord, progress_bar
from .replay import ReplayBuffer
from .rollout import EnvPool, greedy_actions
from .threads import single_blas_thread

__all__ = ["q_learning_targets", "fitted_q_loss", "linear_epsilon", "DQNResult", "dqn"]

LOSSES = ("squared", "huber")


def q_learning_targets(target_network, rewards, next_states, terminated, gamma: float, online_network=None):
    """y = r + γ·max_a q[s′, a, φ⁻], or y = r where the episode ended at s′ (eq. 19.18; pass the
    online network itself as `target_network` for eq. 19.17's target). Computed under `no_grad()`:
    a numpy array, a constant for the loss.

    With `online_network` (double DQN, eq. 19.21): y = r + γ·q[s′, argmax_a q[s′, a, φ], φ⁻], the
    action chosen by the online network and valued by the target network.
    """
    rewards, terminated = np.asarray(rewards, float), np.asarray(terminated, bool)
    with no_grad():
        next_q = target_network(Tensor(next_states)).numpy()
        if online_network is None:
            best = next_q.max(axis=1)
        else:
            choice = online_network(Tensor(next_states)).numpy().argmax(axis=1)
            best = next_q[np.arange(len(choice)), choice]
    return rewards + gamma * np.where(terminated, 0.0, best)


def fitted_q_loss(q_values: Tensor, actions, targets, loss: str = "squared") -> Tensor:
    """The mean over a batch of ℓ(q[s, a, φ] − y), with q_values (B, A) the network's outputs for
    the batch's states, `actions` (B,) the actions taken and `targets` y (B,) constants (numpy):
    ℓ(d) = d² (eq. 19.16) or the Huber loss, d²/2 for |d| ≤ 1 and |d| − 1/2 beyond
    (`loss="huber"`)."""
    if loss not in LOSSES:
        raise ValueError(f"fitted_q_loss: loss must be one of {LOSSES}, got {loss!r}")
    actions = np.asarray(actions)
    if q_values.ndim != 2 or actions.shape != (q_values.shape[0],) or np.shape(targets) != actions.shape:
        raise ValueError(f"fitted_q_loss: need action values (B, A) and B actions and targets; got shapes "
                         f"{q_values.shape}, {actions.shape} and {np.shape(targets)}")
    error = q_values[np.arange(q_values.shape[0]), actions] - Tensor(np.asarray(targets, dtype=q_values.dtype))
    if loss == "squared":
        return (error * error).mean()
    small = minimum(error.abs(), 1.0)  # |d| up to 1: its square; beyond: linear with slope 1
    return (0.5 * small * small + (error.abs() - small)).mean()


def linear_epsilon(step: int, start: float, end: float, duration: int) -> float:
    """ε falling linearly from `start` to `end` over `duration` steps, then constant."""
    if duration <= 0:
        return end
    return start + (end - start) * min(step / duration, 1.0)


@dataclass(frozen=True)
class DQNResult:
    """q_network: the trained network; record: the learning curve (`record.TrainingRecord`: rows
    with `train_loss`, the mean loss of eq. 19.16 since the previous row, and `epsilon`)."""
    q_network: object
    record: TrainingRecord


def dqn(make_env, q_network, steps: int, *, gamma: float = 0.99, lr: float = 1e-3, lr_end: float | None = None,
        batch_size: int = 64, buffer_size: int = 50_000, learning_starts: int = 1_000, train_every: int = 1,
        gradient_steps: int = 1, target_update: int = 500, epsilon_start: float = 1.0, epsilon_end: float = 0.05,
        exploration_steps: int | None = None, loss: str = "huber", double: bool = False,
        max_grad_norm: float | None = 10.0, record_every: int = 1_000, evaluate=None, seed=0,
        progress=False, compile=True) -> DQNResult:
    """Deep Q-learning (section 19.4.1) in the environment `make_env()` for `steps` steps.

    Each step takes an ε-greedy action in q_network's values (ε falls linearly from
    `epsilon_start` to `epsilon_end` over `exploration_steps`, a fifth of the run by default) and
    stores the transition in a `ReplayBuffer` of `buffer_size`. After `learning_starts` steps,
    every `train_every` steps, `gradient_steps` Adam steps (learning rate `lr`, falling linearly
    to `lr_end` over the run if given) lower `fitted_q_loss`, each on a uniform batch of
    `batch_size` transitions, with targets from the target network (`q_learning_targets`,
    eq. 19.18), which copies q_network every `target_update` steps. A time limit does not end an
    episode in the targets: only `terminated` does.

    `evaluate(q_network) -> dict` adds fields to every row of the record (every `record_every`
    steps). `seed` (an int) drives the environment, the buffer and the exploration; initialise
    q_network yourself. `progress`: show a progress bar (None: when stdout is a terminal).
    `compile=False` computes the gradients eagerly (see the module docstring).
    """
    steps = check_int(steps, "steps", "dqn", 1)
    if loss not in LOSSES:
        raise ValueError(f"dqn: loss must be one of {LOSSES}, got {loss!r}")
    if not (0.0 <= epsilon_end <= 1.0 and 0.0 <= epsilon_start <= 1.0):
        raise ValueError(f"dqn: epsilon_start and epsilon_end must be in [0, 1], got {epsilon_start}, {epsilon_end}")
    env_seed, buffer_seed, explore_seed = np.random.SeedSequence(seed).spawn(3)
    pool = EnvPool(make_env, 1, env_seed)
    buffer = ReplayBuffer(buffer_size, pool.observation_size, np.random.default_rng(buffer_seed))
    rng = np.random.default_rng(explore_seed)
    target = copy.deepcopy(q_network)
    optimizer = Adam(q_network.parameters(), lr=lr)
    # α falling linearly to lr_end: the noise of the stochastic targets then averages out (the
    # step-size conditions under which tabular Q-learning converges ask for a decaying α)
    schedule = None if lr_end is None else LinearLR(optimizer, 1.0, lr_end / lr, steps)
    act = greedy_actions(q_network)

    def loss_and_gradient(states, actions, targets):   # eq. 19.16 on a batch, and its gradient
        value = fitted_q_loss(q_network(Tensor._wrap(states)), actions, targets, loss)
        optimizer.zero_grad()
        value.backward()
        return value

    if compile:
        loss_and_gradient = compile_step(loss_and_gradient)
    exploration_steps = steps // 5 if exploration_steps is None else exploration_steps
    recorder = Recorder(pool, None if evaluate is None else lambda: evaluate(q_network))
    bar = progress_bar(steps, "dqn", progress)
    with single_blas_thread():
        for step in range(1, steps + 1):
            epsilon = linear_epsilon(step - 1, epsilon_start, epsilon_end, exploration_steps)
            state = pool.observations[0].copy()
            action = int(rng.integers(pool.n_actions)) if rng.random() < epsilon else int(act(state[None])[0])
            next_states, rewards, terminated, _ = pool.step([action])
            buffer.add(state, action, rewards[0], next_states[0], terminated[0])
            if step > learning_starts and step % train_every == 0:
                for _ in range(gradient_steps):
                    batch = buffer.sample(batch_size)
                    targets = q_learning_targets(target, batch.rewards, batch.next_states, batch.terminated, gamma,
                                                 online_network=q_network if double else None)
                    value = loss_and_gradient(batch.states, batch.actions, targets)
                    if max_grad_norm is not None:
                        clip_grad_norm_(q_network.parameters(), max_grad_norm)
                    optimizer.step()
                    recorder.add(train_loss=value.item())
            if step % target_update == 0:
                target.load_state_dict(q_network.state_dict())
            if schedule is not None:
                schedule.step()
            if step % record_every == 0 or step == steps:
                row = recorder.row(step)
                row["epsilon"] = round(epsilon, 4)
                bar.set_postfix({k: f"{row[k]:.3g}" for k in ("return", "greedy_return") if k in row})
            bar.update(1)
    bar.close()
    return DQNResult(q_network, recorder.record(steps))
