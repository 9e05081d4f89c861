"""Random MDPs and oracles for the chapter 19 tests, written without the code under test:
brute force over every deterministic policy, and Bellman equations summed with explicit loops."""
import itertools

import numpy as np
from hypothesis import strategies as st

from tinygrad_udl.rl import MDP


def random_arrays(seed, n_states, n_actions, gamma, terminal_fraction=0.3):
    """(P, R, gamma, terminal): sparse-ish transitions (Dirichlet 0.5), rewards in [-1, 1]."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(n_states, 0.5), size=(n_states, n_actions))
    R = rng.uniform(-1, 1, (n_states, n_actions))
    terminal = rng.random(n_states) < terminal_fraction
    if terminal.all():
        terminal[0] = False
    return P, R, gamma, terminal


def random_mdp(seed, n_states=4, n_actions=2, gamma=0.8, terminal_fraction=0.3):
    P, R, gamma, terminal = random_arrays(seed, n_states, n_actions, gamma, terminal_fraction)
    return MDP(P, R, gamma, terminal=terminal)


@st.composite
def mdps(draw, max_states=6, max_actions=4, max_gamma=0.95):
    n_states = draw(st.integers(1, max_states))
    n_actions = draw(st.integers(1, max_actions))
    gamma = draw(st.floats(0.0, max_gamma))
    seed = draw(st.integers(0, 2**32 - 1))
    return random_mdp(seed, n_states, n_actions, gamma)


def policy_value(mdp, pi):
    """v[s | π] for an (S, A) matrix, solving v = r_π + γ·P_π·v with the episode ending after
    terminal states; P_π assembled with loops."""
    S, A = pi.shape
    M, r = np.zeros((S, S)), np.zeros(S)
    for s in range(S):
        for a in range(A):
            r[s] += pi[s, a] * mdp.R[s, a]
            if not mdp.terminal[s]:
                M[s] += pi[s, a] * mdp.P[s, a]
    return np.linalg.solve(np.eye(S) - mdp.gamma * M, r)


def deterministic(policy, n_actions):
    return np.eye(n_actions)[np.asarray(policy)]


def brute_force_optimum(mdp):
    """(v*, q*): the elementwise best value over all A^S deterministic policies, and
    q*[s, a] = r[s, a] + γ·Σ_s′ P·v*[s′]."""
    values = np.array([policy_value(mdp, deterministic(p, mdp.n_actions))
                       for p in itertools.product(range(mdp.n_actions), repeat=mdp.n_states)])
    v_star = values.max(axis=0)
    q_star = np.array([[mdp.R[s, a] + (0 if mdp.terminal[s] else mdp.gamma * mdp.P[s, a] @ v_star)
                        for a in range(mdp.n_actions)] for s in range(mdp.n_states)])
    return v_star, q_star


def epsilon_soft_optimum(mdp, epsilon, sweeps=3000):
    """The action values of the best ε-soft policy: iterate q ← r + γ·P·((1 − ε)·max q + ε·mean q)."""
    q = np.zeros((mdp.n_states, mdp.n_actions))
    keep = np.where(mdp.terminal, 0.0, 1.0)[:, None]
    for _ in range(sweeps):
        v = (1 - epsilon) * q.max(axis=1) + epsilon * q.mean(axis=1)
        q = mdp.R + mdp.gamma * keep * np.einsum("sat,t->sa", mdp.P, v)
    return q
