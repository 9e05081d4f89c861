"""The replay buffer of section 19.4.1: a ring of the last `capacity` transitions, sampled
uniformly with replacement."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tinygrad_udl.rl.replay import ReplayBuffer


def _fill(buffer, count, start=0):
    for k in range(start, start + count):
        buffer.add(np.full(2, k), k % 3, float(k), np.full(2, k + 1), k % 5 == 0)


def test_a_batch_holds_whole_transitions():
    buffer = ReplayBuffer(10, 2, rng=0)
    _fill(buffer, 7)
    batch = buffer.sample(50)
    k = batch.states[:, 0]
    assert set(k) <= set(range(7))
    np.testing.assert_array_equal(batch.next_states[:, 0], k + 1)
    np.testing.assert_array_equal(batch.actions, k.astype(int) % 3)
    np.testing.assert_array_equal(batch.rewards, k)
    np.testing.assert_array_equal(batch.terminated, k.astype(int) % 5 == 0)


@given(capacity=st.integers(1, 20), added=st.integers(1, 60))
def test_a_full_buffer_overwrites_its_oldest_transitions_first(capacity, added):
    buffer = ReplayBuffer(capacity, 2, rng=0)
    _fill(buffer, added)
    assert len(buffer) == min(capacity, added)
    kept = sorted(buffer.states[:len(buffer), 0].astype(int))
    assert kept == list(range(max(0, added - capacity), added))  # the newest min(capacity, added)


def test_sampling_is_uniform_over_the_stored_transitions():
    # 40 stored (of 70 added): each of the 40 should appear 1/40 of the time; Pearson's chi-square
    # over 40,000 draws, with 39 degrees of freedom, at the 0.1 % level
    buffer = ReplayBuffer(40, 2, rng=0)
    _fill(buffer, 70)
    drawn = np.concatenate([buffer.sample(400).states[:, 0] for _ in range(100)]).astype(int)
    counts = np.bincount(drawn - 30, minlength=40)
    assert counts.size == 40 and counts.sum() == 40_000
    statistic, p_value = stats.chisquare(counts)
    assert p_value > 1e-3, (statistic, counts)


def test_the_same_seed_draws_the_same_batches():
    a, b = ReplayBuffer(10, 2, rng=5), ReplayBuffer(10, 2, rng=5)
    _fill(a, 10)
    _fill(b, 10)
    np.testing.assert_array_equal(a.sample(20).states, b.sample(20).states)


def test_clear_errors():
    buffer = ReplayBuffer(4, 3, rng=0)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(2)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        buffer.add(np.zeros(2), 0, 0.0, np.zeros(2), False)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 3)
