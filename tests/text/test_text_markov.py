"""The Markov source: its entropies against brute-force enumeration of sequences, and its samples
against its own transition table. The references use only the transition table and a stationary
distribution found here by iterating the chain, never the quantities under test."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.text import MarkovChain


def stationary_by_iteration(transition):
    """pi over k-grams by iterating the lazy chain (same pi, always converges) to a fixed point."""
    v, k = transition.shape[0], transition.ndim - 1
    pi = np.full((v,) * k, 1.0 / v ** k)
    for _ in range(20_000):
        nxt = (pi[..., None] * transition).sum(axis=0)  # Pr(x_2..x_{k+1})
        nxt = 0.5 * (pi + nxt)
        if np.max(np.abs(nxt - pi)) < 1e-15:
            break
        pi = nxt
    return pi


def sequence_probs(transition, n):
    """Pr(x_1..x_n) of the stationary process for every sequence of length n >= k, enumerated."""
    v, k = transition.shape[0], transition.ndim - 1
    pi = stationary_by_iteration(transition)
    probs = {}
    for seq in itertools.product(range(v), repeat=n):
        p = pi[seq[:k]]
        for t in range(k, n):
            p *= transition[seq[t - k:t + 1]]
        probs[seq] = p
    return probs


def block_entropy(transition, n):
    """H(X_1..X_n), n >= 1, by enumeration (shorter than k: marginals of the k-gram pi)."""
    k = transition.ndim - 1
    if n < k:
        pi = stationary_by_iteration(transition)
        p = pi.sum(axis=tuple(range(k - n))).ravel()
    else:
        p = np.array(list(sequence_probs(transition, n).values()))
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def entropy_sum(probs):
    p = np.array([q for q in probs if q > 0])
    return float(-np.sum(p * np.log(p)))


CHAINS = [(3, 1, 0), (4, 1, 1), (3, 2, 2), (2, 3, 3)]  # (V, k, seed)


@pytest.mark.parametrize("v,k,seed", CHAINS)
def test_entropy_rate_is_the_block_entropy_increment(v, k, seed):
    chain = MarkovChain.random(v, k, rng=seed)
    h = chain.entropy_rate()
    blocks = [block_entropy(chain.transition, n) for n in range(k, k + 4)]
    for n in range(1, 4):
        assert blocks[n] - blocks[n - 1] == pytest.approx(h, abs=1e-10)
    # -(1/n) E[log Pr(x_1..x_n)] decreases towards the rate
    per_token = [b / n for n, b in zip(range(k, k + 4), blocks)]
    assert all(a >= b - 1e-12 for a, b in zip(per_token, per_token[1:]))
    assert all(p >= h - 1e-12 for p in per_token)


@pytest.mark.parametrize("v,k,seed", CHAINS)
def test_ngram_cross_entropies_are_conditional_block_entropies(v, k, seed):
    chain = MarkovChain.random(v, k, rng=seed)
    for n in range(1, k + 3):
        expected = block_entropy(chain.transition, n) - (block_entropy(chain.transition, n - 1) if n > 1 else 0.0)
        assert chain.ngram_cross_entropy(n) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("v,k,seed", CHAINS)
def test_masked_token_entropy_against_enumeration(v, k, seed):
    chain = MarkovChain.random(v, k, rng=seed)
    # sequences with an extra token beyond the k neighbours on each side: the full-context
    # conditional is computed from whole-sequence probabilities, not from the window formula
    n, centre = 2 * k + 3, k + 1
    probs = sequence_probs(chain.transition, n)
    total = 0.0
    for seq, p in probs.items():
        others = sum(probs[seq[:centre] + (x,) + seq[centre + 1:]] for x in range(v))
        total -= p * np.log(p / others)
    assert chain.masked_token_entropy() == pytest.approx(total, abs=1e-10)


def test_masked_token_entropy_of_order_one_uses_both_neighbours():
    chain = MarkovChain.random(4, 1, rng=5)
    pi, P = stationary_by_iteration(chain.transition), chain.transition
    total = 0.0
    for a, b, c in itertools.product(range(4), repeat=3):
        p = pi[a] * P[a, b] * P[b, c]
        cond = P[a, b] * P[b, c] / sum(P[a, x] * P[x, c] for x in range(4))
        total -= p * np.log(cond)
    assert chain.masked_token_entropy() == pytest.approx(total, abs=1e-12)


@settings(max_examples=25)
@given(st.integers(2, 6), st.integers(1, 2), st.integers(0, 2**32 - 1), st.floats(0.05, 5.0))
def test_more_context_never_raises_the_entropy(v, k, seed, concentration):
    chain = MarkovChain.random(v, k, rng=seed, concentration=concentration)
    h = chain.entropy_rate()
    losses = [chain.ngram_cross_entropy(n) for n in range(1, k + 2)]
    assert losses[0] <= np.log(v) + 1e-12
    assert all(a >= b - 1e-12 for a, b in zip(losses, losses[1:]))
    assert losses[-1] == pytest.approx(h, abs=1e-12)
    assert -1e-12 <= chain.masked_token_entropy() <= h + 1e-12


@pytest.mark.parametrize("v,k,seed", [(8, 1, 0), (5, 2, 1)])
def test_the_cross_entropy_of_a_long_sample_approaches_the_rate(v, k, seed):
    chain = MarkovChain.random(v, k, rng=seed)
    x = chain.sample(200_000, rng=seed + 10)
    windows = np.lib.stride_tricks.sliding_window_view(x, k + 1)
    empirical = -np.mean(np.log(chain.transition[tuple(windows.T)]))
    assert empirical == pytest.approx(chain.entropy_rate(), abs=0.02)
    # the stationary start: token frequencies match the marginal of pi from the first token on
    marginal = stationary_by_iteration(chain.transition).sum(axis=tuple(range(k - 1))).ravel()
    assert np.bincount(x, minlength=v) / len(x) == pytest.approx(marginal, abs=0.01)
    assert chain.log_prob(x) == pytest.approx(np.log(stationary_by_iteration(chain.transition)[tuple(x[:k])])
                                              - empirical * len(windows), rel=1e-9)


def test_first_tokens_of_samples_follow_the_stationary_distribution():
    chain = MarkovChain.random(3, 2, rng=4)
    rng = np.random.default_rng(0)
    heads = np.array([chain.sample(2, rng) for _ in range(20_000)])
    counts = np.zeros((3, 3))
    np.add.at(counts, (heads[:, 0], heads[:, 1]), 1)
    assert counts / len(heads) == pytest.approx(stationary_by_iteration(chain.transition), abs=0.015)


@pytest.mark.parametrize("v,k,seed", CHAINS)
def test_next_log_probs_are_the_exact_conditionals(v, k, seed):
    chain = MarkovChain.random(v, k, rng=seed)
    probs = sequence_probs(chain.transition, k + 2)
    for m in range(k + 2):  # prefixes shorter than, equal to and longer than k
        for prefix in itertools.product(range(v), repeat=m):
            joint = np.array([sum(p for s, p in probs.items() if s[:m + 1] == prefix + (x,)) for x in range(v)])
            assert np.exp(chain.next_log_probs(prefix)) == pytest.approx(joint / joint.sum(), abs=1e-12)


def test_sampling_is_reproducible_and_handles_short_lengths():
    chain = MarkovChain.random(6, 3, rng=0)
    assert np.array_equal(chain.sample(500, 7), chain.sample(500, np.random.default_rng(7)))
    assert chain.sample(0, 1).shape == (0,)
    assert chain.sample(2, 1).dtype == np.int64 and chain.sample(2, 1).shape == (2,)


def test_chains_with_transient_or_periodic_states_are_accepted():
    absorbing = MarkovChain([[0.0, 1.0], [0.0, 1.0]])  # state 0 is left for good
    assert absorbing.stationary == pytest.approx([0.0, 1.0])
    assert absorbing.entropy_rate() == 0.0
    flip = MarkovChain([[0.0, 1.0], [1.0, 0.0]])  # period 2: pi is still unique
    assert flip.stationary == pytest.approx([0.5, 0.5])
    assert flip.entropy_rate() == 0.0 and flip.ngram_cross_entropy(1) == pytest.approx(np.log(2))
    assert flip.masked_token_entropy() == 0.0


def test_bad_chains_get_clear_errors():
    with pytest.raises(ValueError, match="no unique stationary distribution"):
        MarkovChain(np.eye(2))
    with pytest.raises(ValueError, match="must sum to 1"):
        MarkovChain([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"shape \(V,\) \* \(k \+ 1\)"):
        MarkovChain(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="finite and >= 0"):
        MarkovChain([[1.5, -0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="exceeds 4096"):
        MarkovChain.random(20, 3, rng=0)
    with pytest.raises(ValueError, match="concentration"):
        MarkovChain.random(3, 1, rng=0, concentration=0)
    always_one = MarkovChain(np.tile([0.0, 1.0], (2, 2, 1)))  # order 2; token 0 never occurs
    with pytest.raises(ValueError, match="probability 0"):
        always_one.next_log_probs([0])
    with pytest.raises(ValueError, match=r"token ids must lie in 0..1"):
        always_one.log_prob([0, 2])
    with pytest.raises(TypeError, match="1-D sequence of int"):
        always_one.next_log_probs([0.5])
