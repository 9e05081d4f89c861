"""The discrete distributions of chapter 5: `Categorical` (eq. 5.21) and `Bernoulli` (eq. 5.17).

Each takes `probs=` (λ, checked to be probabilities) or `logits=` (a network's unbounded outputs,
mapped by the softmax, eq. 5.22, or the sigmoid, eq. 5.18). From logits every log-probability is
computed without forming the probabilities first (log-softmax, -softplus(-z)), so that logits of
±1e4 give finite losses and gradients -- the losses of eqs. 5.20 and 5.24.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor, no_grad_op, stack, where
from .distribution import (Distribution, check_not_nan, check_probabilities, exactly_one, first_bad, float_parameters,
                           p_times, safe_log, safe_log1m)


def _categories(op, value, low, high, what):
    """`value` (a number, array or Tensor; no gradient flows into a discrete value) as an integer
    array, checked to hold whole numbers in low..high. (A check only: what a log-probability picks
    is made from `value` by a no-gradient step, `no_grad_op`, which a compiled step computes again
    for every batch; this array would be a constant of its program.)"""
    data = np.asarray(value.data if isinstance(value, Tensor) else value)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{op}: the value must hold numbers, got {data.dtype}")
    whole = data == np.round(data) if data.dtype.kind == "f" else True  # NaN fails here too
    bad = ~(whole & (data >= low) & (data <= high))
    if bad.any():
        raise ValueError(f"{op}: the value must be {what}, {first_bad(data, bad)}")
    return data.astype(np.int64)


class Categorical(Distribution):
    """`Categorical(probs=None, logits=None)`: Pr(y = k) = λ_k over the categories k = 0..K-1 of the
    last axis (eq. 5.21; the book counts from 1, the library from 0 as PyTorch). Earlier axes are
    the batch.

    - `probs` λ: each in [0, 1], summing to 1 along the last axis (checked, not rescaled: PyTorch
      rescales, but a vector that does not sum to 1 is more often a bug; pass `logits=log(weights)`
      to normalise unnormalised weights).
    - `logits` z: any real numbers, normalised by log-softmax, λ = softmax[z] (eq. 5.22).

    Either way both are available: `probs` and `logits` (the normalised log-probabilities log λ,
    -inf where λ = 0).
    """

    def __init__(self, probs=None, logits=None):
        name, param = exactly_one("Categorical", probs=probs, logits=logits)
        (param,), dtype = float_parameters("Categorical", **{name: param})
        if param.ndim == 0 or param.shape[-1] == 0:
            raise ValueError(f"Categorical: {name} has shape {param.shape}; it needs a last axis of K >= 1 "
                             "categories (shape (..., K))")
        (_check_simplex if name == "probs" else _check_logits)(param)
        self._param, self._from_probs = param, name == "probs"
        super().__init__(param.shape[:-1], (), dtype)

    # probs and logits are computed from the parameter on each use (as every other quantity), so a
    # distribution can be used in several backward passes.
    @property
    def probs(self):
        return self._param if self._from_probs else self._param.softmax(-1)

    @property
    def logits(self):
        return safe_log(self._param) if self._from_probs else self._param.log_softmax(-1)

    @property
    def num_categories(self):
        return self._param.shape[-1]

    @property
    def mean(self):
        """NaN, as PyTorch: the categories are labels, not numbers, so they have no mean."""
        return Tensor(np.full(self.batch_shape, np.nan, self.dtype))

    variance = mean

    @property
    def mode(self):
        """The most probable category (the first one on a tie; eq. 5.5's point estimate)."""
        return self.probs.argmax(-1)

    def sample(self, sample_shape=(), rng=None):
        """Category indices (int64) by inverting the cumulative distribution (eq. B.21)."""
        shape, rng = self._draw_shape(sample_shape, rng)
        cdf = np.cumsum(self.probs.data, axis=-1)
        # Dividing by the total makes the last value exactly 1 > u, so rounding in the sum can
        # never push an index past K - 1 (or onto a trailing category of probability 0).
        cdf /= cdf[..., -1:]
        u = rng.random(shape + (1,))
        return Tensor((u >= cdf).sum(axis=-1).astype(np.int64))

    def log_prob(self, value):
        """log λ_value, taken from the log-softmax (the multiclass loss eq. 5.24 is its negative)."""
        op = "Categorical.log_prob"
        index = _categories(op, value, 0, self.num_categories - 1,
                            f"a category index in 0..{self.num_categories - 1}")
        shape = self._value_shape(index.shape)
        logits = self.logits.broadcast_to(shape + (self.num_categories,))
        return logits[tuple(np.indices(shape)) + (no_grad_op(_category_indices, value, shape=shape),)]

    def entropy(self):
        """-Σ_k λ_k log λ_k (standard, not in the book), with 0 log 0 = 0."""
        return -p_times(self.probs, self.logits).sum(-1)


def _check_simplex(probs):
    check_probabilities("Categorical", "probs", probs)
    # A sum computed in float32 over many categories is off by about K ulps, so the tolerance grows
    # with K; PyTorch's check uses a fixed 1e-6.
    tolerance = max(1e-6, 16 * probs.shape[-1] * np.finfo(probs.dtype).eps)
    sums = probs.data.sum(-1)
    bad = np.abs(sums - 1) > tolerance
    if bad.any():
        raise ValueError(f"Categorical: probs must sum to 1 along the last axis (the categories); the sums "
                         f"{first_bad(sums, bad)}. Pass logits= (log-weights) to have them normalised")


def _check_logits(logits):
    data = logits.data
    bad = np.isnan(data) | (data == np.inf)
    if bad.any():
        raise ValueError(f"Categorical: logits must be finite, or -inf for a category that is never drawn; "
                         f"{first_bad(data, bad)}")
    empty = np.all(data == -np.inf, axis=-1)
    if empty.any():
        raise ValueError(f"Categorical: all logits are -inf at batch index {np.argwhere(empty)[0].tolist()}: at least "
                         "one category needs a finite logit")


class Bernoulli(Distribution):
    """`Bernoulli(probs=None, logits=None)`: Pr(y | λ) = (1 - λ)^(1-y) λ^y on y ∈ {0, 1} (eq. 5.17),
    elementwise (the batch shape is the parameter's shape).

    - `probs` λ ∈ [0, 1] (checked).
    - `logits` z, with λ = sig[z] (eq. 5.18); log λ = -softplus(-z) and log(1 - λ) = -softplus(z)
      stay finite and exact for large |z| (the stable binary cross-entropy, eq. 5.20).

    Either way both `probs` and `logits` are available (logits ±inf for λ = 0 or 1). Samples are
    floats 0.0 / 1.0 of the parameter's dtype, as PyTorch's.
    """

    def __init__(self, probs=None, logits=None):
        name, param = exactly_one("Bernoulli", probs=probs, logits=logits)
        (param,), dtype = float_parameters("Bernoulli", **{name: param})
        if name == "probs":
            check_probabilities("Bernoulli", "probs", param)
        else:
            check_not_nan("Bernoulli", "logits", param)
        self._param, self._from_probs = param, name == "probs"
        super().__init__(param.shape, (), dtype)

    @property
    def probs(self):
        return self._param if self._from_probs else self._param.sigmoid()

    @property
    def logits(self):
        if not self._from_probs:
            return self._param
        log_p, log_one_minus = self._outcome_logs()
        return log_p - log_one_minus

    def _outcome_logs(self):
        """(log λ, log(1 - λ))."""
        if self._from_probs:
            return safe_log(self._param), safe_log1m(self._param)
        return -(-self._param).softplus(), -self._param.softplus()

    def _outcomes(self):
        """Both outcomes on a last axis of 2 (y = 0, y = 1): probabilities and their logs. Entropy and
        KL are then those of a two-category distribution, computed by the Categorical's code."""
        one_minus = 1 - self._param if self._from_probs else (-self._param).sigmoid()
        log_p, log_one_minus = self._outcome_logs()
        return stack([one_minus, self.probs], axis=-1), stack([log_one_minus, log_p], axis=-1)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        """1 where λ > 0.5, else 0 (the book's point estimate, section 5.4; 0 on the tie λ = 0.5)."""
        return no_grad_op(_above_half, self.probs, dtype=self.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=(), rng=None):
        """1.0 where a uniform draw u < λ, else 0.0 (inverting the cumulative distribution, eq. B.21)."""
        shape, rng = self._draw_shape(sample_shape, rng)
        return Tensor((rng.random(shape) < self.probs.data).astype(self.dtype))

    def log_prob(self, value):
        """log λ where value = 1, log(1 - λ) where value = 0 (eq. 5.17's logarithm)."""
        y = _categories("Bernoulli.log_prob", value, 0, 1, "0 or 1")
        shape = self._value_shape(y.shape)
        log_p, log_one_minus = self._outcome_logs()
        return where(no_grad_op(_is_one, value, shape=shape), log_p, log_one_minus)

    def entropy(self):
        """-λ log λ - (1 - λ) log(1 - λ) (standard, not in the book), with 0 log 0 = 0."""
        probs, logs = self._outcomes()
        return -p_times(probs, logs).sum(-1)


# The no-gradient steps of the log-probabilities (`no_grad_op`), on values checked by `_categories`.

def _category_indices(value, shape):
    """The categories of `value` as int64 indices, broadcast to `shape`."""
    return np.broadcast_to(np.asarray(value).astype(np.int64), shape)


def _is_one(value, shape):
    """Where `value` (0s and 1s) is 1, broadcast to `shape`."""
    return np.broadcast_to(np.asarray(value) == 1, shape)


def _above_half(probs, dtype):
    """1 where λ > 0.5, else 0, in `dtype`."""
    return (probs > 0.5).astype(dtype)
