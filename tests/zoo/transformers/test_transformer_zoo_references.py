"""The references the chapter-12 tables print, each checked against a second, independent computation:
brute-force enumeration of every sequence of a small chain, per-position conditionals, the
Markov-blanket formula, and plain Python counting."""
import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.text import MarkovChain
from tinygrad_udl.zoo.transformers import references
from tinygrad_udl.zoo.transformers.data import single_masks


def _all_sequences(chain, length):
    """(sequences, probabilities) of every sequence of `length` tokens, by the chain's own log_prob."""
    seqs = np.array(list(itertools.product(range(chain.vocab_size), repeat=length)))
    return seqs, np.exp([chain.log_prob(s) for s in seqs])


@settings(max_examples=10)
@given(seed=st.integers(0, 1000), order=st.integers(1, 2), length=st.integers(1, 4))
def test_window_entropy_is_the_expected_loss_of_the_exact_conditionals(seed, order, length):
    chain = MarkovChain.random(3, order, rng=seed)
    seqs, probs = _all_sequences(chain, length + 1)
    assert probs.sum() == pytest.approx(1.0)
    # −Σ_n log Pr(x_{n+1} | x_1..x_n) = −log Pr(x_1..x_{N+1}) + log Pr(x_1), averaged over all windows
    per_window = np.array([chain.log_prob(s[:1]) - chain.log_prob(s) for s in seqs]) / length
    assert references.window_entropy(chain, length) == pytest.approx(float(probs @ per_window), rel=1e-9)


def test_source_cross_entropy_adds_the_per_position_conditionals():
    chain = MarkovChain.random(5, 2, rng=4)
    stream = chain.sample(4 * 7 + 1, rng=5)
    inputs = np.stack([stream[i * 7: i * 7 + 7] for i in range(4)])
    targets = np.stack([stream[i * 7 + 1: i * 7 + 8] for i in range(4)])
    total = sum(-chain.next_log_probs(x[: n + 1])[y[n]] for x, y in zip(inputs, targets) for n in range(7))
    assert references.source_cross_entropy(chain, inputs, targets) == pytest.approx(total / 28, rel=1e-12)


def test_source_masked_loss_is_the_markov_blanket_posterior():
    chain = MarkovChain.random(6, 1, rng=7)
    p = chain.transition
    windows = np.stack([chain.sample(9, rng=s) for s in range(20)])
    positions = np.random.default_rng(0).integers(1, 8, 20)
    inputs, targets = single_masks(windows, positions, mask_token=6)
    expected = []
    for w, t in zip(windows, positions):
        posterior = p[w[t - 1]] * p[:, w[t + 1]]          # Pr(x_t | x_{t-1}, x_{t+1}) ∝ P(a→x) P(x→b)
        expected.append(-np.log(posterior[w[t]] / posterior.sum()))
    assert references.source_masked_cross_entropy(chain, inputs, targets, mask_token=6) == pytest.approx(
        np.mean(expected), rel=1e-10)
    two_masks = inputs.copy()
    two_masks[:, 0] = 6
    with pytest.raises(ValueError, match="exactly one"):
        references.source_masked_cross_entropy(chain, two_masks, targets, mask_token=6)


def test_source_masked_loss_averages_to_the_masked_token_entropy():
    chain = MarkovChain.random(4, 1, rng=8)
    windows = chain.sample(3 * 20_000, rng=9).reshape(-1, 3)
    inputs, targets = single_masks(windows, np.ones(len(windows), int), mask_token=4)
    estimate = references.source_masked_cross_entropy(chain, inputs, targets, mask_token=4)
    assert estimate == pytest.approx(chain.masked_token_entropy(), abs=0.03)   # ~5 standard errors


@pytest.mark.parametrize("n", [1, 2, 3])
def test_ngram_cross_entropy_against_counting_in_python(n):
    gen = np.random.default_rng(n)
    train, test = gen.integers(0, 4, 300), gen.integers(0, 4, 80)
    alpha = 0.5
    counts = Counter(tuple(train[i: i + n]) for i in range(len(train) - n + 1))
    context = Counter(tuple(train[i: i + n - 1]) for i in range(len(train) - n + 1))
    losses = []
    for i in range(n - 1, len(test)):
        gram = tuple(test[i - n + 1: i + 1])
        losses.append(-np.log((counts[gram] + alpha) / (context[gram[:-1]] + 4 * alpha)))
    assert references.ngram_cross_entropy(train, test, n, 4, alpha) == pytest.approx(np.mean(losses), rel=1e-12)


def test_likelihood_ratio_is_the_bayes_classifier_by_enumeration():
    a, b = MarkovChain.random(3, 1, rng=1), MarkovChain.random(3, 1, rng=2)
    seqs, p_a = _all_sequences(a, 5)
    p_b = np.exp([b.log_prob(s) for s in seqs])
    exact = 0.5 * np.minimum(p_a, p_b).sum()                       # Bayes error with equal priors
    decided = references.likelihood_ratio_labels(a, b, seqs)
    assert 0.5 * (p_a[decided == 1].sum() + p_b[decided == 0].sum()) == pytest.approx(exact, rel=1e-12)
    error, stderr = references.bayes_error(a, b, 5, 4000, rng=0)
    assert abs(error - exact) < 4 * stderr
