"""A synthetic language whose entropy rate is known exactly: a stationary order-k Markov chain.

A language model trained by maximum likelihood (the sum of next-token cross-entropies of fig.
12.12, eq. 12.15) cannot have an expected loss per token below the entropy rate of the process
that made its data. For natural text that number is unknown; for this source it is exact, so a
transformer's test loss can be read against it, and against the losses of the simplest models:

- entropy rate     h = sum_c pi(c) H[P(. | c)], over the k-grams c, with pi the stationary
                   distribution of the chain on k-grams; the best loss with unlimited context.
- n-gram baseline  H(X_n | X_1..X_{n-1}) of the stationary process: the loss of the best model
                   that sees only the last n-1 tokens (n=1: unigram, n=2: bigram); equal to h
                   once n-1 >= k.
- masked token     H(X_t | all other tokens), the best loss of a BERT-style masked-token
                   model (section 12.6). By the Markov property only the k tokens on each side
                   matter: Pr(x_t | rest) is proportional to prod_{j=0..k} P(x_{t+j} | x_{t+j-k..t+j-1}).

All entropies are in nats per token. The process is stationary: `sample` draws its first k
tokens from pi, and `next_log_probs` gives exact conditionals for contexts shorter than k.
"""
from __future__ import annotations

import bisect

import numpy as np

from ..checks import as_generator, check_int
from ._ids import as_token_ids

# Dense linear algebra on the k-gram chain: a (V^k x V^k) solve for pi, and V^(2k+1) windows for
# the masked-token entropy. These bounds keep both to about a second and 130 MB.
_MAX_STATES = 4096
_MAX_WINDOWS = 1 << 24


class MarkovChain:
    """An order-k Markov chain over the tokens 0..V-1, run from its stationary distribution.

    Args:
        transition: array of shape (V,) * (k + 1); `transition[c1, ..., ck, x]` is
            P(x | c1..ck), the probability of token x after the k tokens c1..ck. Each row (last
            axis) must sum to one. The chain on k-grams must have a unique stationary
            distribution (one closed class of k-grams), else the entropy rate is not defined.

    Attributes:
        vocab_size (V), order (k), transition, and stationary: pi over k-grams, shape (V,) * k.
    """

    def __init__(self, transition):
        where = "MarkovChain"
        transition = np.array(transition, dtype=np.float64)
        if transition.ndim < 2 or len(set(transition.shape)) != 1:
            raise ValueError(f"{where}: transition must have shape (V,) * (k + 1) with order k >= 1, "
                             f"got shape {transition.shape}")
        if not np.all(np.isfinite(transition)) or np.any(transition < 0):
            raise ValueError(f"{where}: transition probabilities must be finite and >= 0")
        row_sums = transition.sum(axis=-1)
        if not np.allclose(row_sums, 1.0, rtol=0, atol=1e-9):
            worst = np.unravel_index(np.argmax(np.abs(row_sums - 1)), row_sums.shape)
            raise ValueError(f"{where}: every row transition[c1..ck, :] must sum to 1; the row for context "
                             f"{tuple(int(c) for c in worst)} sums to {row_sums[worst]:.12g}")
        self.vocab_size = transition.shape[0]
        self.order = transition.ndim - 1
        _check_size(self.vocab_size, self.order, where)
        self.transition = transition / row_sums[..., None]
        self.transition.flags.writeable = False
        self.stationary = _stationary(self.transition.reshape(-1, self.vocab_size), self.vocab_size, where)
        self.stationary = self.stationary.reshape((self.vocab_size,) * self.order)
        self.stationary.flags.writeable = False
        # ngram[n - 1]: the stationary distribution of n consecutive tokens, n = 1..k+1. The
        # window of k+1 is pi(c) P(x | c); shorter windows are its marginals (any position will
        # do, the process being stationary).
        joint = self.stationary[..., None] * self.transition
        self._ngram = [joint.sum(axis=tuple(range(self.order + 1 - n))) for n in range(1, self.order + 2)]

    @classmethod
    def random(cls, vocab_size: int, order: int = 1, *, rng, concentration: float = 0.3) -> MarkovChain:
        """A chain whose rows P(. | c) are independent Dirichlet(concentration) draws.

        A small concentration makes each row put most of its mass on a few tokens: a language
        with structure to learn, but not deterministic (every probability is positive, so the
        chain is ergodic). `rng` is a numpy Generator or an int seed.
        """
        where = "MarkovChain.random"
        vocab_size = check_int(vocab_size, "vocab_size", where, minimum=2)
        order = check_int(order, "order", where, minimum=1)
        concentration = float(concentration)
        if not np.isfinite(concentration) or concentration <= 0:
            raise ValueError(f"{where}: concentration must be a finite number > 0, got {concentration}")
        _check_size(vocab_size, order, where)  # before drawing V^k rows
        gen = as_generator(rng, where)
        rows = gen.dirichlet(np.full(vocab_size, concentration), size=vocab_size ** order)
        # A tiny concentration can underflow a probability to 0; keep every transition possible.
        rows = np.maximum(rows, 1e-12)
        rows /= rows.sum(axis=1, keepdims=True)
        return cls(rows.reshape((vocab_size,) * (order + 1)))

    def entropy_rate(self) -> float:
        """h = sum over k-grams c of pi(c) H[P(. | c)], in nats per token."""
        return float(np.sum(self.stationary * _entropy(self.transition, axis=-1)))

    def ngram_cross_entropy(self, n: int) -> float:
        """H(X_n | X_1..X_{n-1}): the expected loss per token of the best (n-1)-token-context model.

        n=1 is the unigram baseline (the entropy of the stationary marginal), n=2 the bigram
        baseline; from n = k+1 on it is the entropy rate.
        """
        n = check_int(n, "n", "MarkovChain.ngram_cross_entropy", minimum=1)
        if n > self.order:
            return self.entropy_rate()
        # H(X_n | X_1..X_{n-1}) = H(X_1..X_n) - H(X_1..X_{n-1}), block entropies of stationary windows
        block = [0.0] + [float(_entropy(p.ravel())) for p in self._ngram[:n]]
        return block[n] - block[n - 1]

    def masked_token_entropy(self) -> float:
        """H(X_t | X_s for all s != t): the best expected loss for one masked token given both contexts.

        By the Markov property the k tokens on each side carry all the information, so this is
        an exact sum over the V^(2k+1) windows of Pr(window) * -log Pr(x_t | the 2k others).
        """
        k, v = self.order, self.vocab_size
        if v ** (2 * k + 1) > _MAX_WINDOWS:
            raise ValueError(f"MarkovChain.masked_token_entropy: the exact sum runs over V^(2k+1) = {v}^{2 * k + 1} "
                             f"windows, more than {_MAX_WINDOWS}; use a smaller vocabulary or order")
        joint = self.stationary  # Pr(x_{t-k} .. x_{t-1})
        for _ in range(k + 1):   # append x_t, ..., x_{t+k}, each given the k tokens before it
            joint = joint[..., None] * self.transition.reshape((1,) * (joint.ndim - k) + self.transition.shape)
        given_rest = joint.sum(axis=k, keepdims=True)  # Pr(the 2k neighbours); axis k is x_t
        with np.errstate(divide="ignore", invalid="ignore"):
            log_cond = np.log(np.where(joint > 0, joint / np.where(given_rest > 0, given_rest, 1), 1))
        return float(-np.sum(joint * log_cond))

    def next_log_probs(self, prefix) -> np.ndarray:
        """log Pr(next token | prefix) for the stationary process, shape (V,); -inf where impossible.

        Only the last k tokens matter. A prefix shorter than k is conditioned on exactly, from the
        stationary window distribution (the empty prefix gives the unigram distribution). Fits
        the decoders of `tinygrad_udl.text.decoding`.
        """
        tokens = as_token_ids(prefix, "MarkovChain.next_log_probs", self.vocab_size)
        context = tokens[max(len(tokens) - self.order, 0):]
        if len(context) == self.order:
            probs = self.transition[tuple(context)]
        else:
            window = self._ngram[len(context)][tuple(context)]
            total = window.sum()
            if total == 0:
                raise ValueError(f"MarkovChain.next_log_probs: the prefix {tuple(int(t) for t in context)} has "
                                 f"probability 0 under the chain, so what follows it is undefined")
            probs = window / total
        with np.errstate(divide="ignore"):
            return np.log(probs)

    def log_prob(self, tokens) -> float:
        """log Pr(x_1..x_n) under the stationary process (the first tokens weighted by pi)."""
        tokens = as_token_ids(tokens, "MarkovChain.log_prob", self.vocab_size)
        k = self.order
        head = tokens[:k]
        with np.errstate(divide="ignore"):
            total = np.log(self._ngram[len(head) - 1][tuple(head)]) if len(head) else 0.0
            if len(tokens) > k:
                windows = np.lib.stride_tricks.sliding_window_view(tokens, k + 1)
                total += np.sum(np.log(self.transition[tuple(windows.T)]))
        return float(total)

    def sample(self, n_tokens: int, rng) -> np.ndarray:
        """n_tokens tokens of the stationary process (int64): the first k from pi, then the chain.

        `rng` is a numpy Generator (its stream is consumed) or an int seed.
        """
        where = "MarkovChain.sample"
        n_tokens = check_int(n_tokens, "n_tokens", where, minimum=0)
        gen = as_generator(rng, where)
        k, v = self.order, self.vocab_size
        head_len = min(k, n_tokens)
        out = np.empty(n_tokens, dtype=np.int64)
        if head_len:
            head = self._ngram[head_len - 1]
            out[:head_len] = np.unravel_index(gen.choice(head.size, p=head.ravel()), head.shape)
        # One uniform per token and a binary search in the context's cumulative row: the loop is
        # in Python, so keep each step to a few list operations.
        cdf = np.cumsum(self.transition.reshape(-1, v), axis=1)
        cdf = (cdf / cdf[:, -1:]).tolist()
        state = int(np.ravel_multi_index(tuple(out[:k]), (v,) * k)) if n_tokens >= k else 0
        n_states = v ** k
        uniforms = gen.random(max(n_tokens - k, 0)).tolist()
        for t, u in enumerate(uniforms, start=k):
            x = bisect.bisect_right(cdf[state], u)
            out[t] = x
            state = (state * v + x) % n_states
        return out


def _check_size(v: int, k: int, where: str) -> None:
    if v ** k > _MAX_STATES:
        raise ValueError(f"{where}: V^k = {v}^{k} k-grams exceeds {_MAX_STATES}; use a smaller vocabulary or order")


def _entropy(p: np.ndarray, axis=None) -> np.ndarray:
    """-sum p log p along `axis`, with 0 log 0 = 0."""
    return -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=axis)


def _stationary(rows: np.ndarray, v: int, where: str) -> np.ndarray:
    """pi with pi P = pi for the chain on k-grams, whose row s moves to (s * V + x) mod V^k with rows[s, x]."""
    n = rows.shape[0]
    successors = (np.arange(n)[:, None] * v + np.arange(v)) % n
    step = np.zeros((n, n))
    np.add.at(step, (np.repeat(np.arange(n), v), successors.ravel()), rows.ravel())
    # pi (P - I) = 0 has one solution with sum 1 exactly when there is one closed class; replace
    # one (redundant) balance equation by the normalisation.
    system = step.T - np.eye(n)
    system[-1] = 1.0
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    try:
        pi = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        pi = None
    # pi > 0 only on a closed class; the distribution is unique iff every k-gram can reach it.
    if pi is None or not np.all(np.isfinite(pi)) or not _all_reach(int(np.argmax(pi)), rows > 0, successors):
        raise ValueError(f"{where}: the chain on k-grams has no unique stationary distribution (some k-grams "
                         f"cannot reach others); make more transitions possible")
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def _all_reach(target: int, possible: np.ndarray, successors: np.ndarray) -> bool:
    """Whether every state has a path of possible transitions to `target`."""
    reaches = np.zeros(len(successors), dtype=bool)
    reaches[target] = True
    while True:
        grown = reaches | np.any(possible & reaches[successors], axis=1)
        if np.array_equal(grown, reaches):
            return bool(reaches.all())
        reaches = grown
