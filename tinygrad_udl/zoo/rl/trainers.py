"""How the chapter-19 entries train: `ZooEntry.trainer` functions (entry, hyper, split, seed,
progress) -> (model, history), and the result rows beside the exact references.

The zoo's runner was written for supervised learning; these trainers fit its hooks (see
`entries.py`). `compile` is passed on to the agents with a gradient step of fixed shapes (DQN,
actor–critic); dynamic programming and tabular Q-learning have no gradient step, and REINFORCE's
steps see episodes of new lengths, so new shapes, every time (`rl.agents`): those run as they are.
Each returns an `RLHistory`, whose rows are the learning curve (`rl.record`) and
whose `info` holds what the result rows report. The length of a run (`--steps`, or `--epochs`:
the same here) is counted in the algorithm's own unit: environment steps for DQN and
actor–critic, policy updates for REINFORCE, episodes for tabular Q-learning; dynamic
programming runs until its values are within 1e-10 of the fixed point.

References, computed independently of what is being checked:
- the penguin: v* and q* by linear programming (`optimal_values_by_lp`: the smallest v with
  v[s] ≥ r[s, a] + γ·Σ_s′ Pr(s′ | s, a)·v[s′] for every s and a, solved by scipy's HiGHS), not
  by the dynamic programming whose iterations it checks;
- CartPole-v1: the largest possible return, 500 (one point per step, 500 steps at most).
"""
from __future__ import annotations

import time

import numpy as np

from ...autograd.graph import no_grad
from ...autograd.tensor import Tensor
from ...rl import (MDP, policy_evaluation, policy_iteration, q_learning, q_learning_update, q_values,
                   tied_greedy_policy, value_iteration)
from ...rl.actor_critic import actor_critic
from ...rl.agents import reinforce_network
from ...rl.dqn import dqn
from ...rl.record import BestGreedyCheckpoint
from ...rl.rollout import greedy_returns
from ...training import History
from ..runner import seeds
from .tasks import CARTPOLE_GAMMA, CARTPOLE_MAX_RETURN

VALIDATION_SEED, TEST_SEED = 10_000, 20_000  # CartPole episodes that choose the checkpoint / report it
VALIDATION_EPISODES, TEST_EPISODES = 5, 20


class RLHistory(History):
    """A `History` whose run length reads in the run's own unit (`info["length"]`)."""

    def run_length(self) -> str:
        return self.info["length"]


def optimal_values_by_lp(mdp: MDP) -> tuple[np.ndarray, np.ndarray]:
    """(v*, q*) by linear programming: minimise Σ_s v[s] subject to v[s] ≥ q[s, a] for every s and
    a, with q[s, a] = r[s, a] + γ·Σ_s′ Pr(s′ | s, a)·v[s′] (nothing after a terminal state). The
    smallest such v is v* (the Bellman optimality equation, eqs. 19.4–19.6, as inequalities)."""
    from scipy.optimize import linprog

    S, A = mdp.n_states, mdp.n_actions
    # v[s] − γ·Σ_s′ P[s, a, s′]·v[s′] ≥ r[s, a]  →  (γ·P[s, a] − e_s)·v ≤ −r[s, a]
    continues = mdp.continues[:, None, None]
    rows = (mdp.gamma * continues * mdp.P - np.eye(S)[:, None, :]).reshape(S * A, S)
    solution = linprog(np.ones(S), A_ub=rows, b_ub=-mdp.R.reshape(-1), bounds=[(None, None)] * S, method="highs")
    if not solution.success:
        raise RuntimeError(f"optimal_values_by_lp: the linear program failed: {solution.message}")
    return solution.x, q_values(mdp, solution.x)


def run_length(hyper, key="steps") -> int:
    """The run's length: the command line's --steps or --epochs (the same here) if given, else
    the entry's `hyper[key]`."""
    return int(hyper.get("steps", hyper.get("epochs", hyper.get(key))))


def _options(hyper, keys) -> dict:
    return {key: hyper[key] for key in keys if key in hyper}


def _table_values(model, n_states) -> np.ndarray:
    """q[s, ·] of every state, from a network over one-hot states (S, A)."""
    with no_grad():
        return model(Tensor(np.eye(n_states, dtype=np.float32))).numpy().astype(np.float64)


# ---- dynamic programming (section 19.3.1, fig. 19.10) ---------------------------------------------------


def train_dynamic_programming(entry, hyper, split, seed, progress=None, compile=True):
    """Value iteration from v = 0, sweep by sweep (one row per sweep: the Bellman residual as
    `train_loss`, and `v_distance` = max_s |v − v*|), and policy iteration from a random
    deterministic policy (the book's start, section 19.3.1); the model is the table of q from
    value iteration. `--steps N` stops value iteration after at most N sweeps."""
    mdp, tol = split.mdp, hyper.get("tol", 1e-10)
    limit = hyper.get("steps", hyper.get("epochs"))  # --steps: at most this many sweeps
    start = time.perf_counter()
    v_star, q_star = optimal_values_by_lp(mdp)
    rows, v, sweeps, converged = [], np.zeros(mdp.n_states), 0, False
    while not converged and (limit is None or sweeps < limit):
        result = value_iteration(mdp, tol=tol, max_iterations=1, values=v)
        sweeps += 1
        # the loss of value iteration: the Bellman residual max_s |v_k − v_{k−1}|, driven to 0
        rows.append({"step": sweeps, "train_loss": float(np.abs(result.values - v).max()),
                     "v_distance": float(np.abs(result.values - v_star).max())})
        v, converged = result.values, result.converged
    rng = seeds(seed, 1)[0]
    start_policy = rng.integers(0, mdp.n_actions, mdp.n_states)
    rounds = policy_iteration(mdp, policy=start_policy, evaluation="iterative", tol=tol)
    model = entry.build(rng=0)
    with no_grad():
        model.q.data[:] = result.q
    info = {"length": f"{sweeps} sweeps of value iteration, {rounds.iterations} rounds of policy iteration",
            "step_unit": "sweeps of value iteration",
            "steps_run": sweeps, "sweeps": sweeps, "converged": bool(converged),
            "policy_iteration_rounds": rounds.iterations,
            "policy_iteration_values": rounds.values.tolist(), "start_policy": start_policy.tolist(),
            "v_star": v_star.tolist(), "q_star": q_star.tolist(), "seconds": round(time.perf_counter() - start, 3)}
    return model, RLHistory(rows, info)


def dynamic_programming_rows(model, history, split):
    mdp, info = split.mdp, history.info
    v_star, q_star = np.array(info["v_star"]), np.array(info["q_star"])
    q = _table_values(model, split.mdp.n_states)
    v = q.max(axis=1)
    optimal = tied_greedy_policy(q_star, atol=1e-6)
    pi_values = np.array(info["policy_iteration_values"])
    lp = "linear programming (scipy HiGHS)"
    rows = [
        {"metric": "value-iteration sweeps (tol 1e-10)", "book": None, "ours": info["sweeps"],
         "note": "from v = 0 (section 19.3.1)" + ("" if info["converged"] else "; stopped before converging")},
        {"metric": "policy-iteration rounds", "book": None, "ours": info["policy_iteration_rounds"],
         "note": "from a random policy, as in fig. 19.10a"},
        {"metric": "max_s |v − v*|, value iteration", "book": 0.0, "ours": float(np.abs(v - v_star).max()),
         "note": f"v* by {lp}"},
        {"metric": "max_s |v − v*|, policy iteration", "book": 0.0, "ours": float(np.abs(pi_values - v_star).max()),
         "note": f"v* by {lp}"},
        {"metric": "v*[book state 1] (the start)", "book": float(mdp.start @ v_star), "ours": float(mdp.start @ v),
         "note": f"reference: {lp}"},
        {"metric": "states whose greedy action is optimal", "book": mdp.n_states,
         "ours": int(optimal[np.arange(mdp.n_states), q.argmax(axis=1)].astype(bool).sum()),
         "note": "ties (the corners, the fish) count as optimal"},
    ]
    for r, line in enumerate(v.reshape(4, 4)):
        rows.append({"metric": f"v, row {r + 1} (book states {4 * r + 1}-{4 * r + 4})",
                     "book": " ".join(f"{x:.2f}" for x in v_star.reshape(4, 4)[r]),
                     "ours": " ".join(f"{x:.2f}" for x in line), "note": f"reference: {lp}"})
    return rows


# ---- tabular Q-learning (eq. 19.15, fig. 19.12) ---------------------------------------------------------


def train_q_learning(entry, hyper, split, seed, progress=None, compile=True):
    """`rl.q_learning` on the penguin (exploring starts); one row per `record_every` episodes."""
    episodes = run_length(hyper, "episodes")
    every = hyper.get("record_every", max(1, episodes // 50))
    start = time.perf_counter()
    result = q_learning(split.mdp, episodes, record_every=every, rng=seeds(seed, 1)[0],
                        **_options(hyper, ("alpha", "alpha_decay", "epsilon", "exploring_starts", "max_steps")))
    model = entry.build(rng=0)
    with no_grad():
        model.q.data[:] = result.q
    rows = [{"step": min((k + 1) * every, episodes), "q_distance": float(e)} for k, e in enumerate(result.errors)]
    info = {"length": f"{result.episodes:,} episodes ({result.steps:,} environment steps)", "steps_run": result.steps,
            "step_unit": "episodes", "episodes": result.episodes, "first_record": rows[0],
            "seconds": round(time.perf_counter() - start, 3)}
    return model, RLHistory(rows, info)


def _greedy_rows(q, mdp, what):
    """Rows: max |q − q*|, the greedy policy's value (at the start, and its largest shortfall), and
    the states where it takes an optimal action (q* and v* by linear programming)."""
    v_star, q_star = optimal_values_by_lp(mdp)
    greedy = q.argmax(axis=1)
    achieved = policy_evaluation(mdp, greedy, method="solve").values
    optimal = tied_greedy_policy(q_star, atol=1e-6)[np.arange(mdp.n_states), greedy] > 0
    gaps = np.sort(q_star, axis=1)
    close = int(((gaps[:, -1] - gaps[:, -2]) < 0.01)[~optimal].sum())
    return [
        {"metric": f"max |q − q*| ({what})", "book": 0.0, "ours": float(np.abs(q - q_star).max()),
         "note": "q* by linear programming"},
        {"metric": "value of the greedy policy at the start", "book": float(mdp.start @ v_star),
         "ours": float(mdp.start @ achieved), "note": "book column: v*[start] (linear programming)"},
        {"metric": "max_s (v* − v of the greedy policy)", "book": 0.0, "ours": float((v_star - achieved).max()),
         "note": "policy evaluation by a linear solve (eq. 19.9)"},
        {"metric": "states whose greedy action is optimal", "book": mdp.n_states, "ours": int(optimal.sum()),
         "note": f"{close} of the others within 0.01 of the best" if close else "ties count as optimal"},
    ]


def q_learning_rows(model, history, split):
    step = q_learning_update(1.20, 0.0, 0.43, alpha=0.1, gamma=0.9)
    return [
        {"metric": "fig. 19.12: one Q-learning step (eq. 19.15)", "book": 1.12, "ours": round(step, 4),
         "note": "q = 1.20, r = 0, max q[s′] = 0.43, γ = 0.9, α = 0.1"},
        {"metric": f"max |q − q*| after {history.info['first_record']['step']} episodes", "book": None,
         "ours": history.info["first_record"]["q_distance"]},
        *_greedy_rows(_table_values(model, split.mdp.n_states), split.mdp, "tabular Q-learning"),
    ]


# ---- deep Q-networks (section 19.4.1) --------------------------------------------------------------------

DQN_OPTIONS = ("gamma", "lr", "lr_end", "batch_size", "buffer_size", "learning_starts", "train_every",
               "gradient_steps", "target_update", "epsilon_start", "epsilon_end", "exploration_steps", "loss",
               "double", "max_grad_norm", "record_every")


def train_dqn(entry, hyper, split, seed, progress=None, compile=True):
    """`rl.dqn` on the entry's environment. On CartPole the best greedy policy on validation
    episodes is kept (`BestGreedyCheckpoint`); on the penguin the rows follow `q_distance`,
    max |q − q*|."""
    steps = run_length(hyper)
    model_rng, run_rng = seeds(seed, 2)
    model = entry.build(rng=model_rng)
    checkpoint, evaluate = None, None
    if split.mdp is None:
        checkpoint = evaluate = BestGreedyCheckpoint(model, split.make_env, VALIDATION_EPISODES, VALIDATION_SEED)
    else:
        reference = optimal_values_by_lp(split.mdp)[1]

        def evaluate(network):
            return {"q_distance": float(np.abs(_table_values(network, split.mdp.n_states) - reference).max())}
    result = dqn(split.make_env, model, steps, evaluate=evaluate, seed=int(run_rng.integers(2**31)),
                 progress=progress, compile=compile, **_options(hyper, DQN_OPTIONS))
    return model, _deep_history(result.record, checkpoint, split)


def _deep_history(record, checkpoint, split):
    """The RLHistory of a deep run; on CartPole, with the best checkpoint restored and tested."""
    episodes = len(record.episode_returns)
    info = {"length": f"{record.steps:,} environment steps ({episodes:,} episodes)", "steps_run": record.steps,
            "step_unit": "environment steps",
            "episodes": episodes, "seconds": record.seconds}
    if checkpoint is not None:
        checkpoint.restore()
        test = greedy_returns(split.make_env, checkpoint.network, TEST_EPISODES, TEST_SEED)
        info.update(final_row=checkpoint.best_row, validation_return=checkpoint.best,
                    test_returns=test.tolist(), first_return=float(record.episode_returns[0]))
    return RLHistory(record.rows, info)


def dqn_gridworld_rows(model, history, split):
    return _greedy_rows(_table_values(model, split.mdp.n_states), split.mdp, "DQN")


def cartpole_rows(model, history, split):
    info = history.info
    test = np.array(info["test_returns"])
    best = history.final
    return [
        {"metric": f"greedy return, {TEST_EPISODES} seeded test episodes (mean)", "book": CARTPOLE_MAX_RETURN,
         "ours": float(test.mean()), "note": f"min {test.min():.0f}; book column: CartPole-v1's maximum"},
        {"metric": f"greedy return, {VALIDATION_EPISODES} validation episodes", "book": CARTPOLE_MAX_RETURN,
         "ours": info["validation_return"], "note": f"the kept checkpoint, at step {best['step']:,}"},
        {"metric": "return of the first training episode", "book": None, "ours": info["first_return"],
         "note": "the untrained policy (random play lasts ~22 steps)"},
        {"metric": "training episodes", "book": None, "ours": info["episodes"]},
    ]


# ---- REINFORCE (section 19.5) and actor–critic (section 19.6) ------------------------------------------


def train_reinforce(entry, hyper, split, seed, progress=None, compile=True):
    """`rl.reinforce_network` with the model's value network as the baseline (eqs. 19.38–19.39)."""
    iterations = run_length(hyper)
    model_rng, run_rng = seeds(seed, 2)
    model = entry.build(rng=model_rng)
    checkpoint = BestGreedyCheckpoint(model.actor, split.make_env, VALIDATION_EPISODES, VALIDATION_SEED)
    options = _options(hyper, ("episodes_per_iteration", "lr", "value_lr", "value_steps", "discount_steps",
                               "record_every"))
    result = reinforce_network(split.make_env, model.actor, iterations, value_network=model.critic,
                               gamma=hyper.get("gamma", CARTPOLE_GAMMA), evaluate=checkpoint,
                               seed=int(run_rng.integers(2**31)), progress=progress, **options)
    return model, _deep_history(result.record, checkpoint, split)


def train_actor_critic(entry, hyper, split, seed, progress=None, compile=True):
    """`rl.actor_critic` with the model's actor and critic."""
    steps = run_length(hyper)
    model_rng, run_rng = seeds(seed, 2)
    model = entry.build(rng=model_rng)
    checkpoint = BestGreedyCheckpoint(model.actor, split.make_env, VALIDATION_EPISODES, VALIDATION_SEED)
    options = _options(hyper, ("n_envs", "n_steps", "td_steps", "actor_lr", "critic_lr", "entropy_weight",
                               "record_every"))
    result = actor_critic(split.make_env, model.actor, model.critic, steps, gamma=hyper.get("gamma", CARTPOLE_GAMMA),
                          evaluate=checkpoint, seed=int(run_rng.integers(2**31)), progress=progress, compile=compile,
                          **options)
    return model, _deep_history(result.record, checkpoint, split)
