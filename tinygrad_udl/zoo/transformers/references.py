"""The numbers the chapter-12 models are read against, each computed without the model.

- For a Markov source (`text.MarkovChain`) the best achievable losses are exact: the entropy
  rate, the n-gram baselines, the best loss on windows of N tokens (whose first targets see less
  context), the masked-token entropy; and on the very test tokens, the source's own loss.
- For *Hamlet* no exact rate exists: the baselines are n-gram models estimated on the training
  text (add-α smoothed counts) and evaluated on the test text.
- For the two-source classification task, the Bayes-optimal classifier: the likelihood ratio.
"""
from __future__ import annotations

import numpy as np

from ...text import MarkovChain

# Add-α smoothing of the n-gram counts: a small α, since the baselines should be as strong as plain
# counting allows (measured on Hamlet's test text: α = 0.01, 0.1, 0.5, 1 give bigram 2.442, 2.442,
# 2.448, 2.455 and trigram 1.963, 1.964, 2.024, 2.086 nats per character).
NGRAM_ALPHA = 0.01


def window_entropy(chain: MarkovChain, length: int) -> float:
    """The lowest expected next-token loss per target on windows of `length` inputs (nats/token):
    (1/N) Σ_{n=1..N} H(X_{n+1} | X_1..X_n). The target after n inputs cannot do better than the
    best n-token-context model, so the first k targets of an order-k source cost more than the
    entropy rate."""
    return float(np.mean([chain.ngram_cross_entropy(n + 1) for n in range(1, length + 1)]))


def source_cross_entropy(chain: MarkovChain, inputs, targets) -> float:
    """The source's own mean next-token loss on windows (inputs, targets = inputs shifted by one):
    Σ_n −log Pr(t_{n+1} | t_1..t_n) = −[log Pr(t_1..t_{N+1}) − log Pr(t_1)] per window (eq. 12.15)."""
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    total = sum(chain.log_prob(np.concatenate([x[:1], y])) - chain.log_prob(x[:1]) for x, y in zip(inputs, targets))
    return float(-total / targets.size)


def source_masked_cross_entropy(chain: MarkovChain, inputs, targets, mask_token) -> float:
    """The source's own loss on masked tokens: −log Pr(x_t | every other token of the window), with
    Pr(x_t = v | rest) ∝ Pr(the window with v at t), by brute force over v (the window's other masks
    must be absent: one masked token per window)."""
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    losses = []
    for x, y in zip(inputs, targets):
        (where,) = np.nonzero(x == mask_token)
        if len(where) != 1:
            raise ValueError("source_masked_cross_entropy: every window needs exactly one masked token")
        candidates = np.repeat(x[None], chain.vocab_size, axis=0)
        candidates[:, where[0]] = np.arange(chain.vocab_size)
        log_joint = np.array([chain.log_prob(c) for c in candidates])
        top = log_joint.max()
        losses.append(top + np.log(np.exp(log_joint - top).sum()) - log_joint[y[where[0]]])
    return float(np.mean(losses))


def ngram_cross_entropy(train, test, n: int, vocab_size: int, alpha: float = NGRAM_ALPHA) -> float:
    """Mean −log Pr(t | the n−1 tokens before it) over the test stream (its first n−1 tokens have no
    full context and are skipped), with Pr from add-α smoothed counts of n-grams in `train`."""
    train, test = np.asarray(train), np.asarray(test)
    counts = np.full((vocab_size,) * n, float(alpha))
    np.add.at(counts, tuple(train[i: len(train) - n + 1 + i] for i in range(n)), 1.0)
    probs = counts / counts.sum(axis=-1, keepdims=True)
    return float(-np.mean(np.log(probs[tuple(test[i: len(test) - n + 1 + i] for i in range(n))])))


def likelihood_ratio_labels(source_0: MarkovChain, source_1: MarkovChain, sequences) -> np.ndarray:
    """The Bayes-optimal decision for equal priors: 1 where log Pr(x | source 1) > log Pr(x | source 0)."""
    return np.array([source_1.log_prob(x) > source_0.log_prob(x) for x in np.asarray(sequences)], dtype=np.int64)


def bayes_error(source_0: MarkovChain, source_1: MarkovChain, length: int, samples: int, rng) -> tuple:
    """(error, standard error): the Bayes classifier's expected error rate for sequences of `length`
    tokens, estimated on `samples` fresh sequences (half from each source)."""
    gen = np.random.default_rng(rng)
    labels = np.arange(samples) % 2
    sequences = [(source_0, source_1)[label].sample(length, gen) for label in labels]
    wrong = likelihood_ratio_labels(source_0, source_1, sequences) != labels
    return float(wrong.mean()), float(wrong.std(ddof=1) / np.sqrt(samples))
