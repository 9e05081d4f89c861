"""Generating text from a decoder (section 12.7.3 and the chapter's notes on decoding algorithms).

A decoder gives the distribution of the next token given the text so far (eq. 12.15); feeding
each chosen token back in generates text. How the token is chosen is the decoding strategy:

- greedy: the most likely token at every step. Cheap, but the most likely *sequence* can start
  with a less likely token, and the text tends to be generic.
- beam search: keep the `beam_width` most likely partial sequences and extend each by every
  token, to find a sequence of high total log-probability. Wide enough, it is exhaustive.
- sampling ("ancestral"): draw each token from the distribution, reshaped by
    temperature T: Pr(x) proportional to Pr(x)^(1/T); T < 1 sharpens towards greedy, T > 1 flattens;
    top-k: keep only the k most likely tokens, so the long tail of unlikely tokens (a possible
        "linguistic dead end") is never drawn;
    top-p (nucleus): keep the smallest set of most likely tokens whose mass reaches p.

Every strategy is written against one callable, `next_log_probs(prefix) -> np.ndarray` of shape
(V,): the log-probabilities of the next token, with `prefix` a tuple of int token ids (the
prompt followed by the tokens generated so far). Any model fits, for instance a transformer
decoder's log-softmax output for the last position, or `MarkovChain.next_log_probs`. Impossible
tokens have log-probability -inf. The log-probabilities must be normalised (logsumexp = 0);
apply a log-softmax to raw logits first.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import as_generator, check_int
from ._ids import as_token_ids

# float32 models give log-softmax outputs whose logsumexp is off by ~1e-7 per token.
_NORMALISATION_TOLERANCE = 1e-4


class Beam(NamedTuple):
    """A finished beam-search hypothesis: the generated tokens, their total log-probability, and
    the score it was ranked by (log_prob / len(tokens) ** length_penalty)."""
    tokens: tuple[int, ...]
    log_prob: float
    score: float


def greedy(next_log_probs, prefix, n_tokens: int, *, eos: int | None = None) -> list[int]:
    """The most likely token at every step (ties: the lowest id); stops after `eos` if given."""
    where = "greedy"
    context, n_tokens = _check_start(prefix, n_tokens, where)
    out: list[int] = []
    for _ in range(n_tokens):
        token = int(np.argmax(_log_probs(next_log_probs, context + tuple(out), where)))
        out.append(token)
        if token == eos:
            break
    return out


def sample(next_log_probs, prefix, n_tokens: int, *, rng, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, eos: int | None = None) -> list[int]:
    """Draw each next token from the model's distribution, optionally reshaped.

    The reshaping is applied in the order temperature, top-k, top-p (each renormalises); with
    the defaults this is plain ancestral sampling. `rng` is a numpy Generator or an int seed.
    Stops after `eos` if given.
    """
    where = "sample"
    context, n_tokens = _check_start(prefix, n_tokens, where)
    gen = as_generator(rng, where)
    temperature = _check_temperature(temperature, where)
    top_k = None if top_k is None else check_int(top_k, "top_k", where, minimum=1)
    top_p = None if top_p is None else _check_top_p(top_p, where)
    out: list[int] = []
    for _ in range(n_tokens):
        log_probs = temperature_scale(_log_probs(next_log_probs, context + tuple(out), where), temperature)
        if top_k is not None:
            log_probs = top_k_filter(log_probs, top_k)
        if top_p is not None:
            log_probs = top_p_filter(log_probs, top_p)
        token = int(gen.choice(len(log_probs), p=_probs(log_probs)))
        out.append(token)
        if token == eos:
            break
    return out


def beam_search(next_log_probs, prefix, n_tokens: int, *, beam_width: int, eos: int | None = None,
                length_penalty: float = 0.0, batched: bool = False) -> list[Beam]:
    """Beam search for the most probable continuation of up to `n_tokens` tokens.

    At every step each live hypothesis is extended by every possible token, and the
    `beam_width` extensions of highest total log-probability are kept (ties: earlier beam, then
    lower token id). A hypothesis that ends with `eos` is finished and leaves the beam; the
    others finish at `n_tokens` tokens. With `beam_width` at least the number of possible
    sequences (V^n_tokens without `eos`) nothing is pruned and the search is exact.

    Length handling: hypotheses of different lengths (only possible with `eos`) are ranked by
    log_prob / len(tokens) ** length_penalty. The default 0 ranks by probability, the book's
    "overall most likely" sequence, which favours stopping early, since every token multiplies
    in a probability below one; 1 ranks by log-probability per token.

    `batched=True` means `next_log_probs` takes a list of prefixes and returns an array of shape
    (len(prefixes), V): one model call per step for the whole beam.

    Returns all finished hypotheses, best score first.
    """
    where = "beam_search"
    context, n_tokens = _check_start(prefix, n_tokens, where)
    beam_width = check_int(beam_width, "beam_width", where, minimum=1)
    length_penalty = float(length_penalty)
    if not np.isfinite(length_penalty):
        raise ValueError(f"{where}: length_penalty must be a finite number, got {length_penalty}")
    if n_tokens == 0:
        return [Beam((), 0.0, 0.0)]
    alive: list[tuple[int, ...]] = [()]
    alive_log_prob = np.zeros(1)
    finished: list[tuple[tuple[int, ...], float]] = []
    for _ in range(n_tokens):
        prefixes = [context + seq for seq in alive]
        if batched:
            table = np.asarray(next_log_probs(prefixes), dtype=np.float64)
            if table.ndim != 2 or table.shape[0] != len(prefixes):
                raise ValueError(f"{where}: with batched=True, next_log_probs(prefixes) must return shape "
                                 f"({len(prefixes)}, V), got {table.shape}")
            table = np.stack([_check_log_probs(row, where) for row in table])
        else:
            table = np.stack([_log_probs(next_log_probs, p, where) for p in prefixes])
        totals = (alive_log_prob[:, None] + table).ravel()
        # stable sort: among equal totals the earlier (better) beam and the lower token id win
        best = np.argsort(-totals, kind="stable")[:beam_width]
        best = best[np.isfinite(totals[best])]
        extended = [(alive[flat // table.shape[1]] + (int(flat % table.shape[1]),), float(totals[flat]))
                    for flat in best]
        finished += [(seq, lp) for seq, lp in extended if seq[-1] == eos]
        extended = [(seq, lp) for seq, lp in extended if seq[-1] != eos]
        if not extended:
            break
        alive = [seq for seq, _ in extended]
        alive_log_prob = np.array([lp for _, lp in extended])
    else:
        finished += list(zip(alive, alive_log_prob.tolist()))
    beams = [Beam(seq, lp, lp / len(seq) ** length_penalty) for seq, lp in finished]
    return sorted(beams, key=lambda b: (-b.score, b.tokens))


def temperature_scale(log_probs, temperature: float) -> np.ndarray:
    """log-softmax(log_probs / T): Pr(x)^(1/T), renormalised."""
    temperature = _check_temperature(temperature, "temperature_scale")
    return _log_normalise(np.asarray(log_probs, dtype=np.float64) / temperature)


def top_k_filter(log_probs, k: int) -> np.ndarray:
    """Keep the k most likely tokens (ties: lower id first), renormalised; the rest get -inf."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    k = check_int(k, "k", "top_k_filter", minimum=1)
    keep = np.argsort(-log_probs, kind="stable")[:k]
    return _restrict(log_probs, keep)


def top_p_filter(log_probs, p: float) -> np.ndarray:
    """Keep the smallest set of most likely tokens whose probability reaches p (nucleus), renormalised.

    Tokens enter in order of decreasing probability (ties: lower id first) until their total is
    at least p, computed in float64.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    p = _check_top_p(p, "top_p_filter")
    order = np.argsort(-log_probs, kind="stable")
    mass = np.cumsum(_probs(log_probs)[order])
    size = int(np.searchsorted(mass, p)) + 1  # first position where the running mass reaches p
    return _restrict(log_probs, order[:min(size, len(order))])


def _check_temperature(temperature, where: str) -> float:
    temperature = float(temperature)
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"{where}: temperature must be a finite number > 0 (small values approach "
                         f"greedy decoding), got {temperature}")
    return temperature


def _check_top_p(p, where: str) -> float:
    p = float(p)
    if not 0 < p <= 1:
        raise ValueError(f"{where}: top_p must be in (0, 1], got {p}")
    return p


def _restrict(log_probs: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = np.full_like(log_probs, -np.inf)
    out[keep] = log_probs[keep]
    return _log_normalise(out)


def _log_normalise(z: np.ndarray) -> np.ndarray:
    return z - _logsumexp(z)


def _logsumexp(z: np.ndarray) -> float:
    top = np.max(z)
    return float(top + np.log(np.sum(np.exp(z - top))))


def _probs(log_probs: np.ndarray) -> np.ndarray:
    p = np.exp(log_probs - np.max(log_probs))
    return p / p.sum()


def _check_start(prefix, n_tokens, where: str) -> tuple[tuple[int, ...], int]:
    context = tuple(int(t) for t in as_token_ids(prefix, where))
    return context, check_int(n_tokens, "n_tokens", where, minimum=0)


def _log_probs(next_log_probs, prefix: tuple[int, ...], where: str) -> np.ndarray:
    return _check_log_probs(next_log_probs(prefix), where)


def _check_log_probs(log_probs, where: str) -> np.ndarray:
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 1 or log_probs.size == 0:
        raise ValueError(f"{where}: next_log_probs must return a 1-D array of log-probabilities over the "
                         f"vocabulary, got shape {log_probs.shape}")
    if np.any(np.isnan(log_probs)) or np.any(log_probs == np.inf) or np.all(log_probs == -np.inf):
        raise ValueError(f"{where}: next_log_probs returned NaN, +inf or only -inf; it must return "
                         f"log-probabilities (-inf for impossible tokens)")
    lse = _logsumexp(log_probs)
    if abs(lse) > _NORMALISATION_TOLERANCE:
        raise ValueError(f"{where}: next_log_probs returned values whose logsumexp is {lse:.6g}, not 0; "
                         f"pass normalised log-probabilities (apply a log-softmax to logits)")
    return log_probs
