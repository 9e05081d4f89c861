"""Running policies in gymnasium environments: encodings, seeded pools of environments, whole
episodes as padded arrays, and the learning-curve records."""
import numpy as np
import pytest

from tinygrad_udl.rl import penguin_gridworld
from tinygrad_udl.rl.env import MDPEnv
from tinygrad_udl.rl.record import BestGreedyCheckpoint, Recorder
from tinygrad_udl.rl.rollout import EnvPool, greedy_returns, observation_encoder
from tinygrad_udl.zoo.rl.networks import PolicyNetwork
from tinygrad_udl.zoo.rl.tasks import make_cartpole

gymnasium = pytest.importorskip("gymnasium")


def _random(seed):
    rng = np.random.default_rng(seed)
    return lambda observations: rng.integers(0, 2, len(observations))


def test_observations_are_encoded_for_networks():
    one_hot = observation_encoder(gymnasium.spaces.Discrete(4, start=1))
    np.testing.assert_array_equal(one_hot(3), [0, 0, 1, 0])
    box = observation_encoder(gymnasium.spaces.Box(-1, 1, (2, 2)))
    assert box(np.ones((2, 2))).shape == (4,) and box(np.ones((2, 2))).dtype == np.float32
    with pytest.raises(TypeError, match="not supported"):
        observation_encoder(gymnasium.spaces.MultiBinary(3))


def test_a_seeded_pool_repeats_its_episodes():
    a = EnvPool(make_cartpole, 4, seed=7).episodes(_random(0))
    b = EnvPool(make_cartpole, 4, seed=7).episodes(_random(0))
    c = EnvPool(make_cartpole, 4, seed=8).episodes(_random(0))
    np.testing.assert_array_equal(a.observations, b.observations)
    assert not np.array_equal(a.observations[:, 0], c.observations[:, 0])


def test_episodes_are_padded_arrays():
    pool = EnvPool(make_cartpole, 5, seed=0)
    episodes = pool.episodes(_random(1))
    assert episodes.observations.shape[:2] == episodes.mask.shape == episodes.rewards.shape
    np.testing.assert_array_equal(episodes.returns, episodes.lengths)  # CartPole pays 1 per step
    assert episodes.terminated.all()  # random play drops the pole long before 500 steps
    assert (episodes.rewards[~episodes.mask] == 0).all()
    assert pool.finished_returns == episodes.returns.tolist()
    cut = pool.episodes(_random(2), max_steps=3)
    assert cut.mask.shape[1] == 3 and not cut.terminated.any()


def test_step_resets_ended_episodes_and_returns_the_true_next_state():
    penguin = penguin_gridworld()
    pool = EnvPool(lambda: MDPEnv(penguin, max_episode_steps=2), 3, seed=0)
    first = pool.observations.copy()
    assert (first.argmax(axis=1) == 0).all()  # the penguin starts at book state 1
    nexts, rewards, terminated, truncated = pool.step([1, 1, 1])
    assert not truncated.any() and (pool.observations == nexts).all()
    nexts, rewards, terminated, truncated = pool.step([2, 2, 2])
    assert truncated.all() and len(pool.finished_returns) == 3
    # the penguin never stays put, so two moves land on a square of the start's colour (a checkerboard)
    assert (nexts.sum(axis=1) == 1).all() and nexts[:, [1, 3, 4, 6, 9, 11, 12, 14]].sum() == 0
    assert (pool.observations.argmax(axis=1) == 0).all()  # the fresh episodes' first states


def test_the_recorder_and_the_best_checkpoint():
    pool = EnvPool(make_cartpole, 2, seed=0)
    policy = PolicyNetwork(rng=0)
    checkpoint = BestGreedyCheckpoint(policy, make_cartpole, episodes=2, seed=3)
    recorder = Recorder(pool, lambda: checkpoint(policy))
    pool.episodes(_random(0))
    recorder.add(train_loss=1.0)
    recorder.add(train_loss=3.0)
    row = recorder.row(step=10)
    assert row["episodes"] == 2 and row["train_loss"] == 2.0 and row["return"] == np.mean(pool.finished_returns)
    assert row["greedy_return"] == greedy_returns(make_cartpole, policy, 2, seed=3).mean()
    assert "return" not in recorder.row(step=11)  # no episode finished since the last row
    saved = {k: v.copy() for k, v in policy.state_dict().items()}
    for p in policy.parameters():
        p.data[...] = 0.0
    checkpoint.restore()
    assert all(np.array_equal(policy.state_dict()[k], v) for k, v in saved.items())
