"""Actor–critic (section 19.6, eqs. 19.40–19.42): a policy gradient whose returns are
bootstrapped from a value network.

Instead of waiting for the end of an episode for the reward-to-go, actor–critic methods estimate
it from the reward just observed and the value of the next state,

    Σ_{k≥t} r_ik ≈ r_it + γ·v[s_{i,t+1}, φ]                                              (eq. 19.40)

so the policy (the actor) takes the step

    θ ← θ + α·(1/I)·Σ_it ∂log π[a_it | s_it, θ]/∂θ·(r_it + γ·v[s_{i,t+1}, φ] − v[s_it, φ])   (19.41)

while the value network (the critic) lowers L[φ] = Σ_it (r_it + γ·v[s_{i,t+1}, φ] − v[s_it, φ])²
(eq. 19.42), with the bootstrapped target held constant (computed under `no_grad()`, as the
targets of fitted Q-learning). `n_step_targets` generalises the target to n rewards before the
bootstrap (n = 1 is eq. 19.40). As the book says is usual, `actor_critic` collects a batch of
experience, `n_steps` steps in each of several copies of the environment, before each update.

Each update (both losses, the backward pass and both optimizer steps) is a compiled step
(`tinygrad_udl.compile`; `compile=False` runs it eagerly, with the same numbers): every batch has
the same shape, and its states, actions and targets (bootstrapped beforehand) are its arguments.
"""
from __future__ import annotations

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor
from ..checks import check_int
from ..compile import compile as compile_step
from ..distributions import Categorical
from ..optim import Adam
from .agents import PolicyGradientResult, policy_gradient_surrogate
from .record import Recorder, progress_bar
from .rollout import EnvPool, sampled_actions
from .threads import single_blas_thread

__all__ = ["n_step_targets", "actor_critic_losses", "actor_critic"]


def n_step_targets(rewards, next_values, terminated, ends, gamma: float, n: int = 1) -> np.ndarray:
    """The bootstrapped returns of a batch of experience, arrays (T, E): T consecutive steps of E
    environments. rewards[t] is paid for the action at step t; next_values[t] = v[s_{t+1}, φ] of
    the state it led to; terminated[t]: the episode ended there (nothing follows); ends[t]: the
    episode ended or was cut short there (the next row starts a new episode).

        y_t = r_t + γ·r_{t+1} + ... + γ^{m−1}·r_{t+m−1} + γ^m·v[s_{t+m}, φ]

    with m = n, or fewer when the episode ends first (then no value follows a terminated
    episode, and a cut-short one bootstraps from its last state's value) or the batch ends.
    n = 1 is eq. 19.40: y_t = r_t + γ·v[s_{t+1}, φ].
    """
    rewards, next_values = np.asarray(rewards, float), np.asarray(next_values, float)
    terminated, ends = np.asarray(terminated, bool), np.asarray(ends, bool) | np.asarray(terminated, bool)
    if not rewards.shape == next_values.shape == terminated.shape == ends.shape or rewards.ndim != 2:
        raise ValueError(f"n_step_targets: rewards, next_values, terminated and ends must share one shape (T, E); "
                         f"got {rewards.shape}, {next_values.shape}, {terminated.shape}, {ends.shape}")
    n = check_int(n, "n", "n_step_targets", 1)
    T = rewards.shape[0]
    targets = np.zeros_like(rewards)
    for t in range(T):
        last = min(t + n, T) - 1
        discount, running = 1.0, np.ones(rewards.shape[1], bool)
        for j in range(t, last + 1):
            targets[t] += np.where(running, discount * rewards[j], 0.0)
            stop = running & (ends[j] | (j == last))  # bootstrap here: the episode or the window ends
            targets[t] += np.where(stop & ~terminated[j], discount * gamma * next_values[j], 0.0)
            running &= ~stop
            discount *= gamma
    return targets


def actor_critic_losses(logits: Tensor, values: Tensor, actions, targets, entropy_weight: float = 0.0):
    """(actor loss, critic loss) for a batch: the actor's logits (B, A) and the critic's values
    (B,) or (B, 1) at the states, the actions taken (B,) and the bootstrapped targets y (B,),
    held constant:

        actor:  −mean_b log π[a_b | s_b, θ]·(y_b − v[s_b, φ]) − entropy_weight·mean_b H[π[· | s_b, θ]]
        critic: mean_b (y_b − v[s_b, φ])²

    The advantage y − v[s, φ] (eq. 19.41) is a constant for the actor; the critic's loss is
    eq. 19.42. Means rather than the book's sums: the scale goes into the learning rates. The
    entropy bonus (not in the book; 0 by default) keeps the policy from committing too early."""
    values = values.reshape(-1)
    error = Tensor(np.asarray(targets, dtype=values.dtype)) - values
    # the advantage, y − v[s, φ] / B: the critic's error without its graph (`detach`, not numpy on
    # `.data`, so that a compiled step computes it anew at every replay)
    actor_loss = policy_gradient_surrogate(logits, actions, error.detach() / error.shape[0])
    if entropy_weight:
        actor_loss = actor_loss - entropy_weight * Categorical(logits=logits).entropy().mean()
    return actor_loss, (error * error).mean()


def actor_critic(make_env, actor, critic, steps: int, *, n_envs: int = 8, n_steps: int = 8, td_steps: int = 1,
                 gamma: float = 0.99, actor_lr: float = 1e-3, critic_lr: float = 1e-3, entropy_weight: float = 0.0,
                 train_actor: bool = True, record_every: int = 5_000, evaluate=None, seed=0,
                 progress=False, compile=True) -> PolicyGradientResult:
    """Actor–critic (section 19.6) in `n_envs` copies of `make_env()` for `steps` environment steps
    in total.

    Each update gathers `n_steps` steps of every copy with actions drawn from the actor's
    softmax policy, computes `n_step_targets` with `td_steps` rewards before the bootstrap
    (1: TD(0), eq. 19.40) from the critic's values, and takes one Adam step of each network along
    `actor_critic_losses` (`actor_lr`, `critic_lr`). `train_actor=False` holds the policy fixed:
    the critic then learns the values of that policy by temporal differences (policy evaluation,
    section 19.3.3). actor: states -> logits; critic: states -> one value per state.
    `evaluate(actor) -> dict` adds fields to the record's rows (every `record_every` steps).
    `compile=False` runs the updates eagerly (see the module docstring).
    """
    steps = check_int(steps, "steps", "actor_critic", 1)
    n_steps = check_int(n_steps, "n_steps", "actor_critic", 1)
    env_seed, action_seed = np.random.SeedSequence(seed).spawn(2)
    pool = EnvPool(make_env, n_envs, env_seed)
    sample = sampled_actions(actor, np.random.default_rng(action_seed))
    actor_optimizer = Adam(actor.parameters(), lr=actor_lr) if train_actor else None
    critic_optimizer = Adam(critic.parameters(), lr=critic_lr)
    optimizers = (critic_optimizer,) if actor_optimizer is None else (actor_optimizer, critic_optimizer)

    def train_step(states, actions, targets):   # eqs. 19.41-19.42: one step of each network
        states = Tensor._wrap(states)
        actor_loss, critic_loss = actor_critic_losses(actor(states), critic(states), actions, targets, entropy_weight)
        for optimizer in optimizers:
            optimizer.zero_grad()
        (critic_loss if actor_optimizer is None else actor_loss + critic_loss).backward()
        for optimizer in optimizers:
            optimizer.step()
        return actor_loss, critic_loss

    if compile:
        train_step = compile_step(train_step)
    recorder = Recorder(pool, None if evaluate is None else lambda: evaluate(actor))
    per_update = n_steps * len(pool)
    updates = -(-steps // per_update)
    next_row = record_every
    bar = progress_bar(updates * per_update, "actor-critic", progress)
    with single_blas_thread():
        for update in range(1, updates + 1):
            batch = _experience(pool, sample, n_steps)
            with no_grad():
                next_values = critic(Tensor(batch["next_states"].reshape(-1, pool.observation_size))).numpy()
            targets = n_step_targets(batch["rewards"], next_values.reshape(n_steps, len(pool)), batch["terminated"],
                                     batch["ends"], gamma, td_steps)
            actor_loss, critic_loss = train_step(batch["states"].reshape(-1, pool.observation_size),
                                                 batch["actions"].reshape(-1), targets.reshape(-1))
            recorder.add(train_loss=critic_loss.item(), actor_loss=actor_loss.item())
            done = update * per_update
            if done >= next_row or update == updates:
                next_row += record_every
                row = recorder.row(done)
                bar.set_postfix({k: f"{row[k]:.3g}" for k in ("return", "greedy_return") if k in row})
            bar.update(per_update)
    bar.close()
    return PolicyGradientResult(actor, critic, recorder.record(updates * per_update))


def _experience(pool, sample, n_steps) -> dict:
    """n_steps steps of every copy of the pool: arrays (n_steps, E[, D])."""
    columns = {key: [] for key in ("states", "actions", "rewards", "next_states", "terminated", "ends")}
    for _ in range(n_steps):
        states = pool.observations.copy()
        actions = sample(states)
        next_states, rewards, terminated, truncated = pool.step(actions)
        for key, value in zip(columns, (states, actions, rewards, next_states, terminated, terminated | truncated)):
            columns[key].append(value)
    return {key: np.stack(values) for key, values in columns.items()}
