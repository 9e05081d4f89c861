"""Loss functions of chapter 5, from the maximum-likelihood recipe (eqs. 5.1-5.6).

Each loss is the negative log-likelihood −log Pr(y | θ) of one distribution whose parameters θ the
network predicts (eq. 5.4), computed from unconstrained outputs (logits, log-rates) with the
stable forms (docs/conventions.md, "Stable forms"): softplus for binary cross-entropy, log-softmax / logsumexp for the
categorical and the mixture, log I₀(κ) = log i0e(κ) + |κ| for von Mises.

Reduction (docs/conventions.md, "Loss reduction"): the book **sums** over examples (eqs. 2.5, 5.4,
5.11, 5.20, 5.24); PyTorch averages. Every loss takes `reduction="mean" | "sum" | "none"`, with
PyTorch's "mean" as the default; book reproductions pass `reduction="sum"`. The choice scales
the gradient, hence the effective SGD learning rate, by the batch size.

Class labels are 0-based (the book counts classes 1..K). Targets that are not Tensors are
converted to the prediction's dtype; targets carry no gradient unless they are Tensors that
require one.
"""
from __future__ import annotations

import math

import numpy as np
from ..autograd.rules import primitive
from ..autograd.samples import inputs, normal
from ..autograd.tensor import ShapeError, Tensor, apply, no_grad_op, tensor, where
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")
_LOG_2PI = math.log(2 * math.pi)


def _reduce(loss, reduction, op, weights=None):
    """`loss` reduced; with `weights` (the examples' weights, a no-gradient array or Tensor) the
    mean divides by their total instead of the number of examples."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean() if weights is None else loss.sum() * no_grad_op(_reciprocal_total, weights)
    raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, _REDUCTIONS))}, got {reduction!r} "
                     "(the book sums: reduction='sum'; PyTorch averages: 'mean')")


def _reciprocal_total(weights):
    """1 / Σ weights as a 0-d array of their dtype (what `x * (1.0 / total)` makes of the Python
    float); inf when every weight is 0, so that the mean over no example is nan, as PyTorch's."""
    with np.errstate(divide="ignore"):
        return np.asarray(1.0 / np.float64(weights.sum()), weights.dtype)


def _target(target, like):
    """A target as a Tensor; data that is not a Tensor takes the prediction's float dtype."""
    if isinstance(target, Tensor):
        return target
    return Tensor._wrap(np.asarray(target, dtype=like.dtype))


def _same_shape(op, prediction, target, names=("input", "target")):
    if prediction.shape != target.shape:
        raise ShapeError(f"{op}: {names[0]} has shape {prediction.shape} but {names[1]} has shape {target.shape}; "
                         "they must be equal (reshape one of them; broadcasting here usually hides a bug)")


def _broadcasts_to(op, name, x, shape):
    try:
        ok = np.broadcast_shapes(x.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{op}: {name} of shape {x.shape} does not broadcast to the input's shape {tuple(shape)}")


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        _reduce(None, reduction, op)


# ---- regression -------------------------------------------------------------------------------------


def mse_loss(input, target, reduction="mean"):
    """Least squares (y − f)² per element (eqs. 2.5, 5.11): the normal NLL up to constants.

    With reduction="mean" this is PyTorch's `MSELoss` (a mean over batch × outputs, as the book's
    fig. 7.8 code uses); reduction="sum" is the book's L[φ] = Σ_i (f[x_i, φ] − y_i)².
    """
    _check_reduction(reduction, "mse_loss")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input, target, reduction="mean"):
    """|y − f| per element: the Laplace NLL up to constants (ch. 5 Notes; estimates the median)."""
    _check_reduction(reduction, "l1_loss")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction, "l1_loss")


def gaussian_nll_loss(input, target, var, full=True, eps=1e-6, reduction="mean"):
    """Normal NLL −log N(y; µ, σ²) = ½ log(2πσ²) + (y − µ)²/(2σ²) per element (eqs. 5.7-5.10).

    `input` is the predicted mean µ; `var` is σ²: a positive number (fixed variance), a learned
    Tensor (homoscedastic, eq. 5.13), or a Tensor predicted per example (heteroscedastic,
    eqs. 5.14-5.15, where the book takes σ² = f₂[x, φ]²: pass `var=f2 * f2`). A Tensor variance is
    clamped below at `eps` (no gradient where clamped; docs/conventions.md, "Stable forms").
    `full=True` (default) keeps the constant ½ log 2π, so the value is the exact NLL; PyTorch's
    `gaussian_nll_loss` defaults to full=False (same gradients).
    """
    _check_reduction(reduction, "gaussian_nll_loss")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("gaussian_nll_loss", input, target)
    if isinstance(var, Tensor):
        _broadcasts_to("gaussian_nll_loss", "var", var, input.shape)
        if np.any(var.data < 0):
            raise ValueError("gaussian_nll_loss: var has negative entries; predict it through a positive link "
                             "(f² as eq. 5.15, softplus, or exp of a log-variance)")
        var = var.clip(min=eps)
        log_var = var.log()
    else:
        if not np.all(np.asarray(var) > 0):
            raise ValueError(f"gaussian_nll_loss: a fixed variance must be positive, got {var}")
        var = _target(var, input)
        _broadcasts_to("gaussian_nll_loss", "var", var, input.shape)
        log_var = Tensor._wrap(np.log(var.data))
    d = input - target
    loss = 0.5 * (log_var + d * d / var)
    if full:
        loss = loss + 0.5 * _LOG_2PI
    return _reduce(loss, reduction, "gaussian_nll_loss")


# ---- binary classification ----------------------------------------------------------------------------


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean"):
    """Bernoulli NLL from logits f: −y log sig(f) − (1 − y) log(1 − sig(f)) (eqs. 5.17-5.20),
    computed as softplus(f) − y·f, which is exact and finite for logits of ±1e4.

    Targets are 0/1 (soft targets in [0, 1] also work). `weight` rescales each element.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    loss = input.softplus() - target * input
    if weight is not None:
        loss = loss * _target(weight, input)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _clamped_log(p):
    """max(log p, −100), with no gradient (and no 0/0) where the clamp applies."""
    live = p > math.exp(-100)
    return where(live, where(live, p, 1.0).log(), -100.0)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Bernoulli NLL from probabilities λ = sig(f) (eq. 5.20), with the logs clamped at −100 as
    PyTorch does (no gradient where clamped). Prefer `binary_cross_entropy_with_logits`: it never needs the clamp."""
    _check_reduction(reduction, "binary_cross_entropy")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("binary_cross_entropy", input, target)
    if np.any((input.data < 0) | (input.data > 1)):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid first, "
                         "or use binary_cross_entropy_with_logits on the logits)")
    loss = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    if weight is not None:
        loss = loss * _target(weight, input)
    return _reduce(loss, reduction, "binary_cross_entropy")


# ---- multiclass classification ------------------------------------------------------------------------


def _class_axis(x, axis):
    if axis is None:
        return 1 if x.ndim >= 2 else 0  # PyTorch: (N, C, ...) or (C,)
    if not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"cross_entropy: axis {axis} is out of range for logits of shape {x.shape}")
    return axis % x.ndim


def _smoothing_coefficients(label_smoothing, smoothing, num_classes):
    """(a, b) with smoothed target q = a·target + b (per class)."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    rho = float(label_smoothing)
    if smoothing == "torch":  # true class 1 − ε + ε/K, others ε/K
        return 1.0 - rho, rho / num_classes
    if smoothing == "book":  # true class 1 − ρ, others ρ/(K − 1) (section 9.3.4, P9.4)
        if num_classes < 2 and rho > 0:
            raise ValueError("cross_entropy: book-style label smoothing needs at least 2 classes")
        other = rho / (num_classes - 1) if rho else 0.0
        return 1.0 - rho - other, other
    raise ValueError(f"cross_entropy: smoothing must be 'torch' or 'book', got {smoothing!r}")


def _class_labels(shape, target, axis, ignore_index, op):
    """Integer targets checked against logits of `shape` (classes on `axis`): the 0-based labels
    (class 0 where ignored) and the mask of examples kept (None: all). None for float targets.

    With `ignore_index` both are made by no-gradient steps (`no_grad_op`), which a compiled step
    (`tinygrad_udl.compile`) computes again from every batch's targets; numpy code on the targets
    here would make them constants of the program. Without it the labels are the targets' array."""
    data = np.asarray(target.data if isinstance(target, Tensor) else target)
    if data.dtype.kind not in "iu":
        return None
    k = shape[axis]
    expected = shape[:axis] + shape[axis + 1:]
    if data.shape != expected:
        raise ShapeError(f"{op}: logits of shape {shape} (classes on axis {axis}) need integer targets of "
                         f"shape {expected}, got {data.shape}")
    kept = None
    if ignore_index is None:
        labels = data
    else:
        source = target if isinstance(target, Tensor) else data
        kept = no_grad_op(np.not_equal, source, ignore_index).data
        labels = no_grad_op(_class_zero_where_dropped, kept, source).data
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"{op}: class labels must lie in 0..{k - 1} (0-based; the book counts 1..K), got values "
                         f"from {labels.min()} to {labels.max()}")
    return labels, kept


def _class_zero_where_dropped(kept, labels):
    """The labels with class 0 where they are not `kept`, so that every one indexes a class."""
    return np.where(kept, labels, 0)


def _one_hot(labels, shape, axis, dtype):
    class_shape = [1] * len(shape)
    class_shape[axis] = shape[axis]
    return (_with_class_axis(labels, axis) == np.arange(shape[axis]).reshape(class_shape)).astype(dtype)


def _with_class_axis(a, axis):
    """`a` with a length-1 class axis inserted at `axis` (np.expand_dims, without its overhead)."""
    return a.reshape(a.shape[:axis] + (1,) + a.shape[axis:])


def _weighted_reduce(loss, labels, kept, weight, reduction, op):
    """Per-example losses times their class weight (and 0 where ignored), reduced; the mean
    divides by the total weight kept, as PyTorch. The weights are a no-gradient step made from
    the labels (see `_class_labels`)."""
    if weight is None and kept is None:
        return _reduce(loss, reduction, op)
    example_weight = no_grad_op(_example_weights, labels, kept, weight, dtype=loss.dtype)
    return _reduce(loss * example_weight, reduction, op, weights=example_weight)


def _example_weights(labels, kept, weight, dtype):
    """Each example's weight in `dtype`: its class's `weight` (1 without), 0 where not `kept`."""
    example_weight = np.ones(labels.shape, dtype) if kept is None else kept.astype(dtype)
    if weight is not None:
        example_weight = example_weight * np.asarray(weight, dtype)[labels]
    return example_weight


def _smoothed_one_hot(labels, shape, axis, dtype, a, b):
    """The target distribution q = a·one_hot(labels) + b over the classes on `axis` of `shape`."""
    return a * _one_hot(labels, shape, axis, dtype) + b


def _categorical_nll(log_probs, target, axis, weight, ignore_index, a, b, reduction, op):
    """−Σ_k q_k log p_k with q = a·target + b, for integer or probability targets."""
    classes = _class_labels(log_probs.shape, target, axis, ignore_index, op)
    if classes is None:
        if ignore_index is not None or weight is not None:
            raise ValueError(f"{op}: weight and ignore_index apply to integer class targets only")
        q = _target(target, log_probs)
        _same_shape(op, log_probs, q, ("logits", "target probabilities"))
        return _reduce(-(log_probs * (q * a + b)).sum(axis=axis), reduction, op)
    labels, kept = classes
    q = no_grad_op(_smoothed_one_hot, labels, shape=log_probs.shape, axis=axis, dtype=log_probs.dtype, a=a, b=b)
    return _weighted_reduce(-(log_probs * q).sum(axis=axis), labels, kept, weight, reduction, op)


def _softmax_cross_entropy_vjp(o, g, out, logits, labels, axis):
    """d/d logits of −log softmax(logits)[label] = softmax(logits) − one_hot(label) (eq. 5.24's
    gradient), times the upstream gradient of each example."""
    p = o.softmax(logits, axis=axis)
    return (p - _one_hot(labels, logits.shape, axis, p.dtype)) * _with_class_axis(g, axis)


# Cross-entropy from logits and integer labels as one primitive (the fused kernel of PyTorch's
# cross_entropy): per example −log softmax(f)[y] = log Σ_k e^{f_k} − f_y (eq. 5.24), with the
# simple VJP softmax − one-hot instead of going back through log-softmax, product and sum.
SOFTMAX_CROSS_ENTROPY = primitive(
    "softmax_cross_entropy",
    lambda o, logits, labels, axis: -np.take_along_axis(o.log_softmax(logits, axis=axis),
                                                        _with_class_axis(labels, axis), axis).squeeze(axis),
    _softmax_cross_entropy_vjp,
    sample=inputs(normal(3, 4, 2), labels=lambda rng: rng.integers(0, 4, (3, 2)), axis=1))


def cross_entropy(input, target, weight=None, ignore_index=None, label_smoothing=0.0, smoothing="torch",
                  axis=None, reduction="mean"):
    """Categorical NLL from logits: −(f_y − log Σ_k e^{f_k}) (eqs. 5.21-5.24), via log-softmax.

    `input`: logits (N, K), (N, K, d1, ...) or (K,) (classes on axis 1, or 0 for 1-D, as PyTorch;
    `axis=` overrides, e.g. axis=-1 for (N, T, K) token logits). `target`: 0-based integer labels
    of the input's shape without the class axis, or class probabilities of the input's shape.
    `weight` (K,) weights each example by its true class; `ignore_index` drops examples with
    that label (the mean then divides by the total weight kept, as PyTorch: nan if none is kept).

    Label smoothing (section 9.3.4): `smoothing="book"` gives the true class 1 − ρ and each other
    class ρ/(K − 1) (P9.4); `smoothing="torch"` gives 1 − ε + ε/K and ε/K (PyTorch's
    `label_smoothing`). They coincide when ε = ρK/(K − 1).
    """
    _check_reduction(reduction, "cross_entropy")
    input = tensor(input)
    axis = _class_axis(input, axis)
    a, b = _smoothing_coefficients(label_smoothing, smoothing, input.shape[axis])
    if weight is not None and label_smoothing:
        raise ValueError("cross_entropy: class weights together with label smoothing are not supported "
                         "(PyTorch weights the smoothing term per class; use one of them)")
    classes = None if label_smoothing else _class_labels(input.shape, target, axis, ignore_index, "cross_entropy")
    if classes is None:   # probabilities as targets, or label smoothing
        return _categorical_nll(input.log_softmax(axis), target, axis, weight, ignore_index, a, b, reduction,
                                "cross_entropy")
    labels, kept = classes
    loss = apply(SOFTMAX_CROSS_ENTROPY, input, labels=labels, axis=axis)
    return _weighted_reduce(loss, labels, kept, weight, reduction, "cross_entropy")


def nll_loss(input, target, weight=None, ignore_index=None, axis=None, reduction="mean"):
    """−log p_y from log-probabilities (e.g. the output of log_softmax): PyTorch's `nll_loss`."""
    _check_reduction(reduction, "nll_loss")
    input = tensor(input)
    axis = _class_axis(input, axis)
    return _categorical_nll(input, target, axis, weight, ignore_index, 1.0, 0.0, reduction, "nll_loss")


# ---- counts -------------------------------------------------------------------------------------------


def poisson_nll_loss(input, target, log_input=True, full=True, eps=1e-8, reduction="mean"):
    """Poisson NLL λ − y log λ + log y! for counts y ∈ {0, 1, 2, ...} (eq. 5.36, P5.6).

    With `log_input=True` (default) `input` is log λ (the network's unconstrained output), so the
    loss is e^f − y·f + log y!; with False it is λ itself (λ − y log(λ + eps) + log y!).
    `full=True` keeps log y! = lgamma(y + 1) (exact NLL); PyTorch defaults to dropping it.
    """
    _check_reduction(reduction, "poisson_nll_loss")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("poisson_nll_loss", input, target)
    if np.any(target.data < 0):
        raise ValueError("poisson_nll_loss: targets are counts and must be >= 0")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        loss = loss + no_grad_op(_log_factorial, target, dtype=input.dtype)
    return _reduce(loss, reduction, "poisson_nll_loss")


def _log_factorial(counts, dtype):
    """log y! = lgamma(y + 1) of the counts, in `dtype`: a step of its own (`no_grad_op`), so that a
    compiled step computes it from each batch's targets."""
    from scipy import special
    return special.gammaln(counts + 1).astype(dtype, copy=False)


# ---- circular data: von Mises (eq. 5.34) --------------------------------------------------------------
#
# log I0(κ) overflows as log(np.i0(κ)) near κ ≈ 710 (docs/conventions.md, "Stable forms"), so it is a primitive computed as
# log(i0e(κ)) + |κ| with i0e(κ) = e^{−|κ|} I0(κ). Its derivative is I1/I0 = i1e/i0e, a second
# primitive whose own derivative follows from Bessel's recurrences: d/dκ (I1/I0) = 1 − r/κ − r²
# (r = I1/I0; the limit at κ = 0 is 1/2). Written with `o` operations, so every order works.
# (scipy is imported when they first run: it takes longer to import than the whole library.)


def _bessel_ratio_raw(kappa):
    from scipy import special
    return (special.i1e(kappa) / special.i0e(kappa)).astype(kappa.dtype, copy=False)


def _log_i0_raw(kappa):
    from scipy import special
    return (np.log(special.i0e(kappa)) + np.abs(kappa)).astype(kappa.dtype, copy=False)


def _kappas(rng):  # both signs, near 0 (the series branch) and large (the asymptotic regime)
    return [np.concatenate([rng.uniform(-5, 5, 6), [1e-4, -2e-4], rng.uniform(50, 500, 2)])], {}


def _bessel_ratio_derivative(o, r, kappa):
    small = abs(kappa) < 1e-3
    safe = o.where(small, 1.0, kappa)  # no 0/0 even in the branch that where() discards
    return o.where(small, 0.5 - 0.1875 * kappa * kappa, 1 - r / safe - r * r)  # series: r ≈ κ/2 − κ³/16


BESSEL_RATIO = primitive("bessel_ratio", lambda o, kappa: _bessel_ratio_raw(kappa),
                         lambda o, g, out, kappa: g * _bessel_ratio_derivative(o, out, kappa), sample=_kappas)


def bessel_ratio(kappa):
    """I1(κ)/I0(κ), the derivative of log I0(κ), on raw arrays or Tensors (then differentiable)."""
    if isinstance(kappa, Tensor):
        return apply(BESSEL_RATIO, kappa)
    return _bessel_ratio_raw(np.asarray(kappa))


LOG_I0 = primitive("log_i0", lambda o, kappa: _log_i0_raw(kappa),
                   lambda o, g, out, kappa: g * o.bessel_ratio(kappa), sample=_kappas)


def log_i0(kappa):
    """log I0(κ) (modified Bessel function of the first kind, order 0), finite for any κ."""
    return apply(LOG_I0, tensor(kappa))


def von_mises_nll_loss(input, kappa, target, reduction="mean"):
    """von Mises NLL −κ cos(y − µ) + log(2π I0(κ)) for angles y (eq. 5.34, P5.3).

    `input` is the predicted mean direction µ; `kappa` ≥ 0 the concentration (a number, or a
    Tensor to learn it). Stable for large κ (log I0 never forms I0).
    """
    _check_reduction(reduction, "von_mises_nll_loss")
    input = tensor(input)
    target = _target(target, input)
    _same_shape("von_mises_nll_loss", input, target)
    kappa = _target(kappa, input)
    _broadcasts_to("von_mises_nll_loss", "kappa", kappa, input.shape)
    if np.any(kappa.data < 0):
        raise ValueError("von_mises_nll_loss: the concentration kappa must be >= 0")
    loss = log_i0(kappa) + _LOG_2PI - kappa * (target - input).cos()
    return _reduce(loss, reduction, "von_mises_nll_loss")


# ---- multimodal data: mixture of Gaussians (eq. 5.35, P5.4) -------------------------------------------


def gaussian_mixture_nll_loss(logits, means, variances, target, reduction="mean"):
    """−log Σ_k λ_k N(y; µ_k, σ_k²) with λ = softmax(logits), components on the last axis.

    Eq. 5.35 is the two-component case with λ₁ = λ = sig(f), i.e. logits [f, 0] (log mixture
    weights work too: softmax of log λ is λ). Computed with logsumexp, so no density underflows.
    `logits`, `means`, `variances`: (..., K); `target`: (...).
    """
    _check_reduction(reduction, "gaussian_mixture_nll_loss")
    logits, means, variances = tensor(logits), tensor(means), tensor(variances)
    for name, x in (("means", means), ("variances", variances)):
        _same_shape("gaussian_mixture_nll_loss", logits, x, ("logits", name))
    target = _target(target, means)
    if target.shape != means.shape[:-1]:
        raise ShapeError(f"gaussian_mixture_nll_loss: components of shape {means.shape} (K = {means.shape[-1]} on "
                         f"the last axis) need targets of shape {means.shape[:-1]}, got {target.shape}")
    if np.any(variances.data <= 0):
        raise ValueError("gaussian_mixture_nll_loss: variances must be positive (use softplus or exp)")
    d = target.unsqueeze(-1) - means
    log_normal = -0.5 * (_LOG_2PI + variances.log() + d * d / variances)
    loss = -(logits.log_softmax(-1) + log_normal).logsumexp(axis=-1)
    return _reduce(loss, reduction, "gaussian_mixture_nll_loss")


# ---- divergences ----------------------------------------------------------------------------------------


def kl_normal(mean_q, var_q, mean_p=0.0, var_p=1.0, reduction="mean"):
    """KL(N(µ_q, σ_q²) ‖ N(µ_p, σ_p²)) = ½[log(σ_p²/σ_q²) + (σ_q² + (µ_q − µ_p)²)/σ_p² − 1] per element
    (closed form; App. B, the VAE's KL term of ch. 17 with p = N(0, 1)). Sum over latent
    dimensions with reduction="none" and `.sum(-1)` when you need per-example KLs."""
    _check_reduction(reduction, "kl_normal")
    mean_q, var_q = tensor(mean_q), tensor(var_q)
    mean_p, var_p = _target(mean_p, mean_q), _target(var_p, mean_q)
    for name, v in (("var_q", var_q), ("var_p", var_p)):
        if np.any(v.data <= 0):
            raise ValueError(f"kl_normal: {name} must be positive")
    d = mean_q - mean_p
    loss = 0.5 * (var_p.log() - var_q.log() + (var_q + d * d) / var_p - 1)
    return _reduce(loss, reduction, "kl_normal")


# ---- modules ----------------------------------------------------------------------------------------------


class _Loss(Module):
    """A loss as a module: settings fixed at construction, `loss(input, target)` calls the function."""

    fn = None

    def __init__(self, **settings):
        super().__init__()
        self.settings = settings

    def forward(self, *args):
        return type(self).fn(*args, **self.settings)

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.settings.items())


def _loss_module(name, fn):
    return type(name, (_Loss,), {"fn": staticmethod(fn), "__module__": __name__,
                                 "__doc__": f"`{name}(**settings)`: module form of `{fn.__name__}` (same keywords)."})


MSELoss = _loss_module("MSELoss", mse_loss)
L1Loss = _loss_module("L1Loss", l1_loss)
GaussianNLLLoss = _loss_module("GaussianNLLLoss", gaussian_nll_loss)
BCEWithLogitsLoss = _loss_module("BCEWithLogitsLoss", binary_cross_entropy_with_logits)
BCELoss = _loss_module("BCELoss", binary_cross_entropy)
CrossEntropyLoss = _loss_module("CrossEntropyLoss", cross_entropy)
NLLLoss = _loss_module("NLLLoss", nll_loss)
PoissonNLLLoss = _loss_module("PoissonNLLLoss", poisson_nll_loss)
VonMisesNLLLoss = _loss_module("VonMisesNLLLoss", von_mises_nll_loss)
GaussianMixtureNLLLoss = _loss_module("GaussianMixtureNLLLoss", gaussian_mixture_nll_loss)
