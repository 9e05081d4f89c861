"""Policy gradients with a tabular softmax policy (section 19.5): REINFORCE, differentiated by the
library's own `Tensor` engine.

The policy is π[a | s, θ] = softmax(θ[s, :]) with one parameter per state and action (section
19.5.2 uses a network's outputs; a table is the network with a one-hot input).

- `reinforce_gradient`: the Monte Carlo estimate of the gradient of the expected return from
  sampled episodes, with the reward-to-go (eq. 19.31), the discount γ^t of REINFORCE (eqs.
  19.32–19.33) and an optional baseline (eqs. 19.34, 19.38).
- `policy_return`: the exact expected return J(θ) = Σ_s Pr(s₁ = s)·v[s | π_θ] as a Tensor, by
  sweeps of the Bellman equation (eq. 19.9) in Tensor ops, so that `backward()` gives the exact
  gradient that REINFORCE estimates.
- `reinforce`: gradient ascent with the estimate (eq. 19.34).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..autograd.tensor import Tensor
from ..checks import as_generator, check_int
from .dp import policy_evaluation, value_iteration
from .mdp import MDP
from .simulate import Episodes, rewards_to_go, sample_episodes

__all__ = ["softmax_policy", "policy_return", "exact_policy_gradient", "reinforce_gradient", "ReinforceResult",
           "reinforce"]


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
    returns = rewards_to_go(episodes.rewards, gamma)
    baseline = np.asarray(baseline, dtype=float)
    if baseline.ndim == 1:
        if baseline.shape != (theta.shape[0],):
            raise ValueError(f"reinforce_gradient: a baseline per state must have shape ({theta.shape[0]},), "
                             f"got {baseline.shape}")
        baseline = baseline[episodes.states]
    elif baseline.ndim != 0:
        raise ValueError(f"reinforce_gradient: the baseline must be a number or one value per state, "
                         f"got shape {baseline.shape}")
    steps = np.arange(returns.shape[1])
    weights = (gamma**steps if discount_steps else np.ones(steps.size)) * (returns - baseline) / returns.shape[0]
    mask = episodes.mask
    table = Tensor(theta, requires_grad=True)
    log_pi = table.log_softmax(axis=-1)[episodes.states[mask], episodes.actions[mask]]
    # a surrogate whose gradient is the estimate: the weights are constants, only log π depends on θ
    (log_pi * Tensor(weights[mask])).sum().backward()
    return table.grad.numpy()


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


def _table(theta, where) -> np.ndarray:
    theta = np.asarray(theta.data if isinstance(theta, Tensor) else theta, dtype=float)
    if theta.ndim != 2:
        raise ValueError(f"{where}: theta must be an (n_states, n_actions) table of action preferences, "
                         f"got shape {theta.shape}")
    return theta
