"""Decoding strategies (section 12.7.3) on a known distribution: an order-1 Markov chain, whose
next-token log-probabilities are its transition rows. References are computed from the transition
table directly (argmax paths, enumeration of every sequence, subsets of the vocabulary)."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tinygrad_udl.text import MarkovChain, beam_search, greedy, sample, temperature_scale, top_k_filter, top_p_filter


def chain_model(v=4, seed=0, concentration=0.5):
    chain = MarkovChain.random(v, 1, rng=seed, concentration=concentration)
    return chain, chain.transition


def all_continuations(P, start, length, eos=None):
    """Every continuation of `start` with its log-probability: length `length`, or ended early by eos."""
    out = []
    for seq in itertools.product(range(P.shape[0]), repeat=length):
        if eos is not None and eos in seq:
            seq = seq[:seq.index(eos) + 1]
        prev, lp = start, 0.0
        for x in seq:
            lp += np.log(P[prev, x])
            prev = x
        out.append((seq, lp))
    return dict(out)  # sequences cut at eos appear several times with the same value


def test_greedy_follows_the_argmax_path():
    chain, P = chain_model(6, seed=1)
    path, prev = [], 2
    for _ in range(15):
        prev = int(np.argmax(P[prev]))
        path.append(prev)
    assert greedy(chain.next_log_probs, [2], 15) == path


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_beam_as_wide_as_all_sequences_finds_the_most_probable_one(seed):
    chain, P = chain_model(3, seed=seed)
    length = 4
    reference = all_continuations(P, 1, length)
    beams = beam_search(chain.next_log_probs, [1], length, beam_width=3 ** length)
    ranked = sorted(reference.items(), key=lambda item: -item[1])
    assert [b.tokens for b in beams] == [seq for seq, _ in ranked]
    assert [b.log_prob for b in beams] == pytest.approx([lp for _, lp in ranked], abs=1e-12)


def test_beam_search_can_beat_greedy_and_width_one_is_greedy():
    # From token 0, greedy takes the likelier first token 1, which leads nowhere probable; the
    # most probable pair starts with the less likely token 2.
    P = np.array([[0.0, 0.6, 0.4],
                  [1 / 3, 1 / 3, 1 / 3],
                  [0.0, 0.0, 1.0]])
    chain = MarkovChain(P)
    assert greedy(chain.next_log_probs, [0], 2) == [1, 0]
    assert beam_search(chain.next_log_probs, [0], 2, beam_width=1)[0].tokens == (1, 0)
    best = beam_search(chain.next_log_probs, [0], 2, beam_width=2)[0]
    assert best.tokens == (2, 2) and best.log_prob == pytest.approx(np.log(0.4))


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_beam_search_with_an_end_token_ranks_finished_sequences_of_every_length(length_penalty):
    chain, P = chain_model(3, seed=7, concentration=1.0)
    eos, length = 0, 4
    reference = all_continuations(P, 1, length, eos=eos)
    score = {seq: lp / len(seq) ** length_penalty for seq, lp in reference.items()}
    beams = beam_search(chain.next_log_probs, [1], length, beam_width=3 ** length, eos=eos,
                        length_penalty=length_penalty)
    assert {b.tokens for b in beams} == set(reference)
    assert beams[0].tokens == max(score, key=score.get)
    assert all(b.score == pytest.approx(score[b.tokens]) for b in beams)
    assert all(a.score >= b.score for a, b in zip(beams, beams[1:]))


def test_batched_beam_search_calls_the_model_once_per_step():
    chain, _ = chain_model(5, seed=3)
    calls = []

    def batch(prefixes):
        calls.append(len(prefixes))
        return np.stack([chain.next_log_probs(p) for p in prefixes])

    one_by_one = beam_search(chain.next_log_probs, [0], 6, beam_width=4)
    batched = beam_search(batch, [0], 6, beam_width=4, batched=True)
    assert batched == one_by_one
    assert len(calls) == 6 and calls[0] == 1 and max(calls) == 4


@settings(max_examples=40)
@given(st.lists(st.floats(-8, 0), min_size=2, max_size=9), st.data())
def test_top_k_keeps_the_k_largest_and_top_p_the_smallest_set_reaching_p(logits, data):
    log_probs = np.array(logits) - np.log(np.sum(np.exp(logits)))
    probs = np.exp(log_probs)
    v = len(probs)
    k = data.draw(st.integers(1, v))
    kept = np.flatnonzero(np.isfinite(top_k_filter(log_probs, k)))
    assert len(kept) == k
    assert probs[kept].min() >= np.delete(probs, kept).max(initial=-1.0)
    assert np.exp(top_k_filter(log_probs, k)).sum() == pytest.approx(1.0)

    p = data.draw(st.floats(0.01, 1.0))
    kept = np.flatnonzero(np.isfinite(top_p_filter(log_probs, p)))
    # the smallest size of any subset with mass >= p, by brute force over all subsets
    smallest = min(size for size in range(1, v + 1)
                   for subset in itertools.combinations(range(v), size) if probs[list(subset)].sum() >= p - 1e-12)
    assert len(kept) == smallest
    assert probs[kept].sum() >= p - 1e-12
    assert probs[kept].min() >= np.delete(probs, kept).max(initial=-1.0)


def test_sampling_never_leaves_the_top_k_or_the_nucleus():
    chain, P = chain_model(8, seed=2, concentration=1.0)
    tokens = sample(chain.next_log_probs, [0], 400, rng=0, top_k=3)
    for prev, x in zip([0] + tokens, tokens):
        assert x in np.argsort(-P[prev])[:3]
    p = 0.7
    tokens = sample(chain.next_log_probs, [0], 400, rng=1, top_p=p)
    for prev, x in zip([0] + tokens, tokens):
        order = np.argsort(-P[prev])
        size = int(np.argmax(np.cumsum(P[prev][order]) >= p)) + 1
        assert x in order[:size]


def test_a_tiny_temperature_is_greedy():
    chain, _ = chain_model(6, seed=4)
    assert sample(chain.next_log_probs, [3], 30, rng=0, temperature=1e-3) == greedy(chain.next_log_probs, [3], 30)


def test_temperature_raises_probabilities_to_the_power_one_over_t():
    probs = np.array([0.5, 0.3, 0.2])
    for t in (0.5, 1.0, 2.0):
        expected = probs ** (1 / t) / np.sum(probs ** (1 / t))
        assert np.exp(temperature_scale(np.log(probs), t)) == pytest.approx(expected)


@pytest.mark.parametrize("options", [{}, {"temperature": 0.6}, {"top_k": 3}, {"top_p": 0.8, "temperature": 1.5}])
def test_sampling_frequencies_match_the_reshaped_distribution(options):
    chain, P = chain_model(5, seed=6, concentration=1.0)
    row = P[2]
    expected = row ** (1 / options.get("temperature", 1.0))
    expected /= expected.sum()
    order = np.argsort(-expected)
    if "top_k" in options:
        expected[order[options["top_k"]:]] = 0
    if "top_p" in options:
        size = int(np.argmax(np.cumsum(expected[order]) >= options["top_p"])) + 1
        expected[order[size:]] = 0
    expected /= expected.sum()
    rng = np.random.default_rng(0)
    draws = [sample(chain.next_log_probs, [2], 1, rng=rng, **options)[0] for _ in range(4000)]
    counts = np.bincount(draws, minlength=5)
    assert np.all(counts[expected == 0] == 0)
    support = expected > 0
    assert stats.chisquare(counts[support], 4000 * expected[support]).pvalue > 1e-3


def test_generation_stops_after_the_end_token():
    P = np.array([[0.1, 0.9], [0.9, 0.1]])
    chain = MarkovChain(P)
    assert greedy(chain.next_log_probs, [0], 10, eos=0) == [1, 0]
    out = sample(chain.next_log_probs, [0], 50, rng=0, eos=0)
    assert out[-1] == 0 and 0 not in out[:-1]


def test_bad_models_and_options_get_clear_errors():
    chain, _ = chain_model(4)
    with pytest.raises(ValueError, match="apply a log-softmax"):
        greedy(lambda prefix: np.zeros(4), [0], 3)
    with pytest.raises(ValueError, match="1-D array"):
        greedy(lambda prefix: np.zeros((2, 2)), [0], 3)
    with pytest.raises(ValueError, match="NaN"):
        sample(lambda prefix: np.full(4, np.nan), [0], 3, rng=0)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        sample(chain.next_log_probs, [0], 3, rng=0, temperature=0)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        sample(chain.next_log_probs, [0], 0, rng=0, top_p=1.5)
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        sample(chain.next_log_probs, [0], 3, rng=0, top_k=0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        top_k_filter(np.log([0.5, 0.5]), 0)
    with pytest.raises(ValueError, match="beam_width must be >= 1"):
        beam_search(chain.next_log_probs, [0], 3, beam_width=0)
    with pytest.raises(ValueError, match=r"must return shape \(1, V\)"):
        beam_search(lambda prefixes: np.zeros(4), [0], 3, beam_width=2, batched=True)
    with pytest.raises(TypeError, match="1-D sequence of int"):
        greedy(chain.next_log_probs, "ab", 3)
