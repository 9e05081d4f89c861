"""`kl_divergence(p, q)`: D_KL[p ‖ q] = ∫ p log(p/q) (eq. B.24) in closed form, and `register_kl`.

The divergence is ≥ 0, and 0 only when p = q (eq. B.25); it is not symmetric. The pairs here have
closed forms; for any other pair, estimate it by Monte Carlo (eq. 17.22) as E_p[log p - log q].
"""
from __future__ import annotations

from .. import linalg
from .discrete import Bernoulli, Categorical
from .distribution import Distribution, broadcast_shapes, p_times
from .normal import MultivariateNormal, Normal, half_log_det

_KL = {}


def register_kl(type_p, type_q):
    """Decorator: `fn(p, q)` computes KL(p ‖ q) for p of type `type_p` and q of type `type_q` (exact
    types: a subclass needs its own registration, since it may change the density)."""
    def decorator(fn):
        _KL[type_p, type_q] = fn
        return fn
    return decorator


def kl_divergence(p, q):
    """KL(p ‖ q), one value per element of the broadcast batch shapes, differentiable in both."""
    for name, d in (("p", p), ("q", q)):
        if not isinstance(d, Distribution):
            raise TypeError(f"kl_divergence: {name} must be a distribution, got {type(d).__name__}")
    pair = f"kl_divergence({type(p).__name__}, {type(q).__name__})"
    fn = _KL.get((type(p), type(q)))
    if fn is None:
        known = ", ".join(f"({a.__name__}, {b.__name__})" for a, b in _KL)
        raise NotImplementedError(f"{pair}: no closed form for this pair (closed forms: {known}). Estimate it by "
                                  "Monte Carlo: x = p.sample((n,)); (p.log_prob(x) - q.log_prob(x)).mean(0)")
    if p.event_shape != q.event_shape:
        raise ValueError(f"{pair}: the events have different shapes, {p.event_shape} and {q.event_shape}")
    broadcast_shapes(pair, p_batch_shape=p.batch_shape, q_batch_shape=q.batch_shape)
    return fn(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """log(σ_q/σ_p) + [σ_p² + (µ_p - µ_q)²]/(2σ_q²) - ½: eq. B.28 with D = 1."""
    ratio = (p.scale / q.scale) ** 2
    return 0.5 * (ratio + ((p.loc - q.loc) / q.scale) ** 2 - 1 - ratio.log())


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    """½[log(|Σ_q|/|Σ_p|) - D + tr(Σ_q⁻¹Σ_p) + (µ_q - µ_p)ᵀΣ_q⁻¹(µ_q - µ_p)]: eq. B.28, with
    Σ = L Lᵀ: tr(Σ_q⁻¹Σ_p) = ‖L_q⁻¹L_p‖²_F and the quadratic form = ‖L_q⁻¹(µ_q - µ_p)‖², by
    triangular solves (no inverse). With q = N(0, I) this is eq. 17.24, the VAE's KL term."""
    tril_p, tril_q = p.scale_tril, q.scale_tril
    trace = (linalg.solve_triangular(tril_q, tril_p, lower=True) ** 2).sum((-2, -1))
    z = linalg.solve_triangular(tril_q, (q.loc - p.loc).unsqueeze(-1), lower=True).squeeze(-1)
    return half_log_det(tril_q) - half_log_det(tril_p) + 0.5 * (trace + (z ** 2).sum(-1) - p.event_shape[0])


def _kl_outcomes(p_probs, p_logs, q_logs):
    """Σ_k p_k (log p_k - log q_k) over the last axis; terms with p_k = 0 are 0, and q_k = 0 < p_k
    gives +inf (q cannot explain what p produces, eq. B.25's remark). Two sums rather than one of
    differences: where p_k = q_k = 0 the difference would be -inf - (-inf)."""
    return (p_times(p_probs, p_logs) - p_times(p_probs, q_logs)).sum(-1)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    if p.num_categories != q.num_categories:
        raise ValueError(f"kl_divergence(Categorical, Categorical): p has {p.num_categories} categories and q "
                         f"{q.num_categories}; they must be distributions over the same categories")
    return _kl_outcomes(p.probs, p.logits, q.logits)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    (p_probs, p_logs), (_, q_logs) = p._outcomes(), q._outcomes()
    return _kl_outcomes(p_probs, p_logs, q_logs)
