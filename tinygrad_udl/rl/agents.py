"""Policy gradients (section 19.5): REINFORCE with a softmax table or a policy network,
differentiated by the library's own `Tensor` engine.

The tabular policy is π[a | s, θ] = softmax(θ[s, :]) with one parameter per state and action (a
table is the network of section 19.5.2 with a one-hot input); the neural one is
π[a | s, θ] = softmax(f[s, θ]) for any network f that maps states to one logit per action.

- `reinforce_gradient`: the Monte Carlo estimate of the gradient of the expected return from
  sampled episodes, with the reward-to-go (eq. 19.31), the discount γ^t of REINFORCE (eqs.
  19.32–19.33) and an optional baseline (eqs. 19.34, 19.38).
- `policy_return`: the exact expected return J(θ) = Σ_s Pr(s₁ = s)·v[s | π_θ] as a Tensor, by
  sweeps of the Bellman equation (eq. 19.9) in Tensor ops, so that `backward()` gives the exact
  gradient that REINFORCE estimates.
- `reinforce`: gradient ascent with the estimate (eq. 19.34).
- `reinforce_weights`: the factor γ^t·(r[τ_it] − b)/I of each step, shared by both policies.
- `reinforce_loss`, `reinforce_network`: the same estimate for a policy network, and REINFORCE
  with a value network as the state-dependent baseline (eqs. 19.38–19.39) on a gymnasium
  environment (CartPole).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor
from ..checks import as_generator, check_int
from ..optim import Adam
from .dp import policy_evaluation, value_iteration
from .mdp import MDP
from .record import Recorder, TrainingRecord, progress_bar
from .rollout import EnvPool, sampled_actions
from .simulate import Episodes, rewards_to_go, sample_episodes
from .threads import single_blas_thread

__all__ = ["softmax_policy", "policy_return", "exact_policy_gradient", "reinforce_weights", "reinforce_gradient",
           "ReinforceResult", "reinforce", "reinforce_loss", "policy_gradient_surrogate",
           "PolicyGradientResult", "reinforce_network"]


def softmax_policy(theta) -> np.ndarray:
    """π[a | s] = softmax(θ[s, :]) as an (S, A) matrix."""
    return Tensor(_table(theta, "softmax_policy")).softmax(axis=-1).numpy()


def policy_return(theta: Tensor, mdp: MDP, tol: float = 1e-10) -> Tensor:
    """J(θ) = Σ_s Pr(s₁ = s)·v[s | π_θ] for the softmax policy of the (S, A) Tensor `theta`, computed
    with Tensor ops so that it can be differentiated: v ← r_π + γ·P_π·v (eq. 19.11 for all states
    at once), repeated until γ^k·max|r|/(1 − γ) < tol, the most the values can still move.
    Needs γ < 1."""
    if not isinstance(theta, Tensor) or theta.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"policy_return: theta must be a Tensor of shape ({mdp.n_states}, {mdp.n_actions}), "
                         f"got {type(theta).__name__} {getattr(theta, 'shape', '')}")
    if mdp.gamma >= 1.0:
        raise ValueError("policy_return: the Bellman sweeps converge only for gamma < 1")
    scale = np.abs(mdp.R).max() / (1.0 - mdp.gamma)  # bounds |v|; the sweeps below shrink the error by γ each
    sweeps = math.ceil(math.log(tol / scale) / math.log(mdp.gamma)) if 0 < mdp.gamma and tol < scale else 0
    pi = theta.softmax(axis=-1)
    r_pi = (pi * Tensor(mdp.R, dtype=theta.dtype)).sum(axis=-1)
    # P_π[s, s′] = Σ_a π[a | s]·Pr(s′ | s, a), with nothing after a terminal state
    P = Tensor(mdp.P * mdp.continues[:, None, None], dtype=theta.dtype)
    P_pi = (pi.unsqueeze(-1) * P).sum(axis=1)
    v = r_pi
    for _ in range(sweeps):
        v = r_pi + mdp.gamma * (P_pi @ v)
    return (Tensor(mdp.start, dtype=theta.dtype) * v).sum()


def exact_policy_gradient(theta, mdp: MDP, tol: float = 1e-10) -> tuple[float, np.ndarray]:
    """(J(θ), ∂J/∂θ) by backpropagating through `policy_return`."""
    theta = Tensor(_table(theta, "exact_policy_gradient"), requires_grad=True)
    J = policy_return(theta, mdp, tol)
    J.backward()
    return float(J.item()), theta.grad.numpy()


def reinforce_weights(rewards, gamma: float, baseline=0.0, discount_steps: bool = True) -> np.ndarray:
    """w[i, t] = γ^t·(r[τ_it] − b_it)/I for I padded episodes of rewards (I, T): the factor of
    ∂log π[a_it | s_it, θ]/∂θ in the REINFORCE estimate (eqs. 19.32–19.34, 19.38), with r[τ_it]
    the discounted reward-to-go from step t (`rewards_to_go`) and t = 0 at the first step.
    `baseline` broadcasts to (I, T): a number (eq. 19.34) or b[s_it] per step (eq. 19.38).
    `discount_steps=False` drops the γ^t. Padding steps must hold reward 0; their weights are
    meaningless and must be masked out."""
    returns = rewards_to_go(rewards, gamma)
    steps = np.arange(returns.shape[1])
    return (gamma**steps if discount_steps else np.ones(steps.size)) * (returns - baseline) / returns.shape[0]


def reinforce_gradient(theta, episodes: Episodes, gamma: float, baseline=0.0,
                       discount_steps: bool = True) -> np.ndarray:
    """The REINFORCE estimate of ∂J/∂θ from I sampled episodes of the softmax policy of `theta`:

        (1/I)·Σ_i Σ_t γ^t·∂log π[a_it | s_it, θ]/∂θ·(r[τ_it] − b)        (eqs. 19.33–19.34)

    with r[τ_it] the discounted reward-to-go from step t (eq. 19.32) and t = 0 at the first step.
    `baseline` b is a number (eq. 19.34) or one value per state, b[s_it] (eq. 19.38); either way
    it must not depend on the episodes' actions, or the estimate is biased (eq. 19.35).
    `discount_steps=False` drops the γ^t factor, as many implementations do; the estimate then
    no longer matches the gradient of the discounted return.

    The log-probabilities are computed with Tensor ops and differentiated with `backward()`.
    """
    theta = _table(theta, "reinforce_gradient")
    baseline = np.asarray(baseline, dtype=float)
    if baseline.ndim == 1:
        if baseline.shape != (theta.shape[0],):
            raise ValueError(f"reinforce_gradient: a baseline per state must have shape ({theta.shape[0]},), "
                             f"got {baseline.shape}")
        baseline = baseline[episodes.states]
    elif baseline.ndim != 0:
        raise ValueError(f"reinforce_gradient: the baseline must be a number or one value per state, "
                         f"got shape {baseline.shape}")
    weights = reinforce_weights(episodes.rewards, gamma, baseline, discount_steps)
    mask = episodes.mask
    table = Tensor(theta, requires_grad=True)
    # the surrogate's gradient is minus the estimate: the weights are constants, only log π depends on θ
    policy_gradient_surrogate(table[episodes.states[mask]], episodes.actions[mask], weights[mask]).backward()
    return -table.grad.numpy()


@dataclass(frozen=True)
class ReinforceResult:
    """theta, and its softmax policy; expected_returns: the exact J(θ) after each iteration (by
    policy evaluation, eq. 19.9); optimal_return: J of an optimal policy (value iteration)."""
    theta: np.ndarray
    policy: np.ndarray
    expected_returns: np.ndarray
    optimal_return: float

    @property
    def return_gap(self) -> float:
        """How much expected return the final policy still gives up: J* − J(θ) ≥ 0."""
        return self.optimal_return - float(self.expected_returns[-1])


def reinforce(mdp: MDP, n_iterations: int, episodes_per_iteration: int = 32, learning_rate: float = 0.5,
              baseline: str | None = "state", max_steps: int = 200, rng=None, theta=None) -> ReinforceResult:
    """REINFORCE (section 19.5.2): sample episodes with the current policy, step θ ← θ + α·ĝ along
    the `reinforce_gradient` estimate ĝ, repeat. θ starts at `theta` (zeros, the uniform policy,
    by default).

    baseline: None (no baseline), "mean" (the mean return of the previous iteration's episodes,
    eq. 19.37), or "state" (b[s], the mean reward-to-go observed from s in the previous
    iteration: the least-squares fit of a value table, eq. 19.39, state by state, eq. 19.38).
    The baselines come from earlier episodes, so they do not depend on the current actions and
    the estimate stays unbiased (eq. 19.35).
    """
    if baseline not in (None, "mean", "state"):
        raise ValueError(f"reinforce: baseline must be None, 'mean' or 'state', got {baseline!r}")
    n_iterations = check_int(n_iterations, "n_iterations", "reinforce", 1)
    episodes_per_iteration = check_int(episodes_per_iteration, "episodes_per_iteration", "reinforce", 1)
    rng = as_generator(rng, "reinforce")
    theta = np.zeros((mdp.n_states, mdp.n_actions)) if theta is None else _table(theta, "reinforce").copy()
    b = np.zeros(mdp.n_states) if baseline == "state" else 0.0
    expected = []
    for _ in range(n_iterations):
        episodes = sample_episodes(mdp, softmax_policy(theta), episodes_per_iteration, max_steps, rng)
        theta = theta + learning_rate * reinforce_gradient(theta, episodes, mdp.gamma, b)
        returns = rewards_to_go(episodes.rewards, mdp.gamma)
        if baseline == "mean":
            b = float(returns[:, 0].mean())
        elif baseline == "state":
            visits = np.bincount(episodes.states[episodes.mask], minlength=mdp.n_states)
            totals = np.bincount(episodes.states[episodes.mask], returns[episodes.mask], minlength=mdp.n_states)
            b = np.where(visits > 0, totals / np.maximum(visits, 1), b)
        expected.append(mdp.start @ policy_evaluation(mdp, softmax_policy(theta), method="solve").values)
    optimal = float(mdp.start @ value_iteration(mdp).values)
    return ReinforceResult(theta, softmax_policy(theta), np.array(expected), optimal)


def reinforce_loss(policy_network, observations, actions, rewards, mask, gamma: float, baseline=0.0,
                   discount_steps: bool = True) -> Tensor:
    """−Σ_it w_it·log π[a_it | s_it, θ] over the steps that happened (`mask`), with the weights
    w = `reinforce_weights(rewards, gamma, baseline, discount_steps)` held constant: minimising it
    follows the REINFORCE estimate (eqs. 19.33–19.34, 19.38), since its gradient is minus the
    estimate. π[· | s, θ] = softmax(policy_network(s)) (section 19.5.2), a categorical distribution.

    observations (I, T, D), actions (I, T), rewards (I, T) and mask (I, T) are padded episodes
    (`rollout.Rollouts`, or one-hot states of `sample_episodes`); `baseline` as in
    `reinforce_weights`, e.g. a value network's v[s_it, φ] (eq. 19.39), computed without gradient.
    """
    observations, actions, mask = np.asarray(observations), np.asarray(actions), np.asarray(mask, bool)
    if observations.shape[:2] != mask.shape or actions.shape != mask.shape or np.shape(rewards) != mask.shape:
        raise ValueError(f"reinforce_loss: observations (I, T, D), actions, rewards and mask (I, T) must agree; got "
                         f"{observations.shape}, {actions.shape}, {np.shape(rewards)}, {mask.shape}")
    weights = reinforce_weights(np.where(mask, rewards, 0.0), gamma, baseline, discount_steps)[mask]
    return policy_gradient_surrogate(policy_network(Tensor(observations[mask])), actions[mask], weights)


def policy_gradient_surrogate(logits: Tensor, actions, weights) -> Tensor:
    """−Σ_b w_b·log π[a_b | s_b] with π[· | s_b] = softmax(logits[b]) and the weights w (numpy, or a
    Tensor without gradient) held constant: the loss whose gradient is minus a policy-gradient
    estimate (eqs. 19.31–19.34 with w the weighted returns, eq. 19.41 with w the advantages).

    log π[a_b | s_b] is picked from the log-softmax by the actions directly: the numbers of
    `Categorical(logits=logits).log_prob(actions)` (tested bit for bit), without the distribution's
    checks and broadcasting, which serve any batch shape; the actions are an argument of a
    compiled step (`tinygrad_udl.compile`), read at every replay."""
    actions = np.asarray(actions)
    if logits.ndim != 2 or actions.shape != (logits.shape[0],) or actions.dtype.kind not in "iu":
        raise ValueError(f"policy_gradient_surrogate: need logits (B, A) and B integer actions; got shapes "
                         f"{logits.shape} and {actions.shape} ({actions.dtype})")
    if actions.size and (actions.min() < 0 or actions.max() >= logits.shape[1]):
        raise ValueError(f"policy_gradient_surrogate: actions must lie in 0..{logits.shape[1] - 1}, got values from "
                         f"{actions.min()} to {actions.max()}")
    log_pi = logits.log_softmax(-1)[np.arange(len(actions)), actions]
    weights = weights if isinstance(weights, Tensor) else Tensor(np.asarray(weights, dtype=log_pi.dtype))
    return -(log_pi * weights).sum()


@dataclass(frozen=True)
class PolicyGradientResult:
    """The trained networks (critic: the value network of the baseline, or None) and the
    learning curve (`record.TrainingRecord`)."""
    actor: object
    critic: object
    record: TrainingRecord


def reinforce_network(make_env, policy_network, iterations: int, *, episodes_per_iteration: int = 8,
                      lr: float = 1e-3, gamma: float = 0.99, baseline: str | None = "value", value_network=None,
                      value_lr: float = 1e-3, value_steps: int = 20, discount_steps: bool = True,
                      max_steps: int | None = None, record_every: int = 10, evaluate=None, seed=0,
                      progress=False) -> PolicyGradientResult:
    """REINFORCE with a policy network (section 19.5.2) in the environment `make_env()`.

    Each iteration runs `episodes_per_iteration` whole episodes with the current policy (side
    by side, `rollout.EnvPool`), then takes one Adam step (`lr`) along `reinforce_loss`.
    baseline: None; "mean", the mean return of the previous iteration's episodes (eq. 19.37); or
    "value", b[s_it] = v[s_it, φ] from `value_network` (states -> one value), which is then fitted
    to the observed rewards-to-go by `value_steps` Adam steps (`value_lr`) of least squares
    (eq. 19.39; its last loss is the record's `train_loss`). The baseline is computed before the
    policy's step, from parameters that did not see the current actions, so the estimate stays
    unbiased (eq. 19.35).
    `evaluate(policy_network) -> dict` adds fields to every `record_every`-th iteration's row.

    The steps run eagerly, not compiled (`tinygrad_udl.compile`): every iteration's episodes have
    new lengths, so its batches have a shape not seen before, and a compiled step, traced twice
    per shape before it replays, would only trace.
    """
    iterations = check_int(iterations, "iterations", "reinforce_network", 1)
    if baseline not in (None, "mean", "value"):
        raise ValueError(f"reinforce_network: baseline must be None, 'mean' or 'value', got {baseline!r}")
    if (baseline == "value") != (value_network is not None):
        raise ValueError("reinforce_network: baseline='value' needs a value_network, and only it uses one")
    pool = EnvPool(make_env, episodes_per_iteration, seed)
    optimizer = Adam(policy_network.parameters(), lr=lr)
    critic_optimizer = None if value_network is None else Adam(value_network.parameters(), lr=value_lr)
    sample = sampled_actions(policy_network, np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0]))
    recorder = Recorder(pool, None if evaluate is None else lambda: evaluate(policy_network))
    b, steps = 0.0, 0
    bar = progress_bar(iterations, "reinforce", progress)
    with single_blas_thread():
        for iteration in range(1, iterations + 1):
            episodes = pool.episodes(sample, max_steps)
            steps += int(episodes.mask.sum())
            if baseline == "value":
                b = _state_values(value_network, episodes.observations)
            loss = reinforce_loss(policy_network, episodes.observations, episodes.actions, episodes.rewards,
                                  episodes.mask, gamma, b, discount_steps)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if baseline == "mean":
                b = float(rewards_to_go(episodes.rewards, gamma)[:, 0].mean())
            elif baseline == "value":
                recorder.add(train_loss=_fit_values(value_network, critic_optimizer, episodes, gamma, value_steps))
            if iteration % record_every == 0 or iteration == iterations:
                row = recorder.row(steps)
                row["iteration"] = iteration
                bar.set_postfix({k: f"{row[k]:.3g}" for k in ("return", "greedy_return") if k in row})
            bar.update(1)
    bar.close()
    return PolicyGradientResult(policy_network, value_network, recorder.record(steps))


def _state_values(value_network, observations) -> np.ndarray:
    """v[s, φ] for every step of padded episodes (I, T, D) -> (I, T), without gradient."""
    with no_grad():
        flat = value_network(Tensor(observations.reshape(-1, observations.shape[-1]))).numpy()
    return flat.reshape(observations.shape[:2])


def _fit_values(value_network, optimizer, episodes, gamma, value_steps) -> float:
    """`value_steps` Adam steps of L[φ] = mean (v[s_it, φ] − r[τ_it])² over the steps that happened
    (eq. 19.39 with the corrected inner sum, from step t on); returns the last loss."""
    mask = episodes.mask
    states = Tensor(episodes.observations[mask])
    returns = rewards_to_go(episodes.rewards, gamma)[mask]
    for _ in range(value_steps):
        values = value_network(states).reshape(-1)
        error = values - Tensor(returns.astype(values.dtype))
        loss = (error * error).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def _table(theta, where) -> np.ndarray:
    theta = np.asarray(theta.data if isinstance(theta, Tensor) else theta, dtype=float)
    if theta.ndim != 2:
        raise ValueError(f"{where}: theta must be an (n_states, n_actions) table of action preferences, "
                         f"got shape {theta.shape}")
    return theta
