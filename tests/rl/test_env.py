"""The gymnasium wrapper, and gymnasium's toy-text environments converted to arrays: DP on the
arrays predicts the returns that the real environments give."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tinygrad_udl.rl import MDP, Simulator, mdp_from_toy_text, penguin_gridworld, value_iteration

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from tinygrad_udl.rl import env as env_module  # noqa: E402
from tinygrad_udl.rl.env import MDPEnv  # noqa: E402


def test_the_wrapper_passes_gymnasiums_checker():
    env = MDPEnv(penguin_gridworld(), max_episode_steps=50)
    assert isinstance(env, gym.Env)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*render.*")  # there is nothing to render
        check_env(env, skip_render_check=True)


def test_an_episode_is_reproducible_from_its_seed():
    env = MDPEnv(penguin_gridworld())

    def episode(seed):
        trajectory = [env.reset(seed=seed)[0]]
        for t in range(30):
            state, reward, terminated, truncated, _ = env.step(t % 4)
            trajectory += [state, reward]
            if terminated:
                break
        return trajectory

    assert episode(3) == episode(3) and episode(3) != episode(4)


def test_the_fish_pays_and_ends_the_episode_and_the_step_limit_truncates():
    mdp = penguin_gridworld()
    on_the_fish = MDPEnv(MDP(mdp.P, mdp.R, mdp.gamma, terminal=mdp.terminal, start=15))
    on_the_fish.reset(seed=0)
    _, reward, terminated, truncated, _ = on_the_fish.step(0)
    assert (reward, terminated, truncated) == (3.0, True, False)
    env = MDPEnv(mdp, max_episode_steps=5)
    env.reset(seed=0)
    outcomes = [env.step(0)[2:4] for _ in range(5)]  # from the start, up: the fish is at least 6 moves away
    assert outcomes == [(False, False)] * 4 + [(False, True)]


def test_steps_follow_the_transition_probabilities():
    mdp = penguin_gridworld()
    simulator = Simulator(mdp, rng=0)
    n = 20_000
    counts = np.bincount([simulator.step(5, 1)[0] for _ in range(n)], minlength=16)
    p = mdp.P[5, 1]
    assert np.all(np.abs(counts / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_bad_actions_and_a_step_before_reset_are_refused():
    env = MDPEnv(penguin_gridworld())
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="not in Discrete"):
        env.step(4)
    with pytest.raises(TypeError, match="expected an MDP"):
        MDPEnv(np.zeros((2, 2, 2)))


def test_without_gymnasium_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    env_module._env_class.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"pip install 'tinygrad_udl\[rl\]'"):
            from tinygrad_udl.rl.env import MDPEnv  # noqa: F401  (looked up anew: the class is built here)
    finally:
        env_module._env_class.cache_clear()


def test_importing_the_package_imports_neither_gymnasium_nor_matplotlib():
    code = "import sys, tinygrad_udl.rl; print('gymnasium' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _discounted_returns(env, policy, gamma, n_episodes):
    returns = []
    for seed in range(n_episodes):
        state, _ = env.reset(seed=seed)
        total, discount, done = 0.0, 1.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(int(policy[state]))
            total += discount * reward
            discount *= gamma
            done = terminated or truncated
        returns.append(total)
    return np.array(returns)


@pytest.mark.parametrize("name, n_episodes", [("FrozenLake-v1", 2000), ("CliffWalking-v1", 3)])
def test_dp_on_the_converted_arrays_predicts_the_real_environments_returns(name, n_episodes):
    gamma = 0.95
    env = gym.make(name, max_episode_steps=2000)  # γ^2000: no truncation bias
    mdp = mdp_from_toy_text(env, gamma)
    solution = value_iteration(mdp, tol=1e-12)
    predicted = mdp.start @ solution.values
    returns = _discounted_returns(env, solution.policy, gamma, n_episodes)
    standard_error = returns.std(ddof=1) / np.sqrt(n_episodes)
    assert abs(returns.mean() - predicted) <= 4 * standard_error + 1e-9


def test_conversion_reads_the_terminal_states_and_the_start():
    lake = mdp_from_toy_text(gym.make("FrozenLake-v1"), 0.9)
    holes_and_goal = [i for i, c in enumerate(b"".join(gym.make("FrozenLake-v1").unwrapped.desc.ravel()))
                      if c in b"HG"]
    assert np.flatnonzero(lake.terminal).tolist() == holes_and_goal
    assert lake.start[0] == 1.0 and np.all(lake.R[lake.terminal] == 0)
    # arriving at the goal pays 1: from state 14 moving right, a third of the time (slippery ice)
    assert lake.R[14, 2] == pytest.approx(1 / 3)
    cliff = mdp_from_toy_text(gym.make("CliffWalking-v1"), 0.9)
    assert cliff.R[36, 1] == -100 and cliff.P[36, 1, 36] == 1.0  # the cliff sends the walker back to the start


def test_an_environment_without_a_model_is_refused():
    with pytest.raises(TypeError, match="no transition table"):
        mdp_from_toy_text(gym.make("CartPole-v1"), 0.9)
