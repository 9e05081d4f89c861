"""Finite differences, element by element, with kink detection.

Everything the checker compares goes through `compare_elements`: the whole function's gradient
(one input at a time), the gradient of a gradient (order 2) and each node's own VJP during
localisation. Given a way to evaluate a scalar function `f` of a flat float64 array `x` (changed in
place), it returns for every element

- the central difference (f(x+h) - f(x-h)) / 2h, error O(h^2): the "numerical" side;
- the one-sided slopes (f(x+h) - f(x)) / h and (f(x) - f(x-h)) / h. On a smooth function they
  differ by h f''(x), which shrinks with h; at a kink (ReLU at 0, |x| at 0, a tie in a max) they
  differ by the jump in slope, which does not. An element whose slopes disagree at step h and still
  disagree at step h/16 is a non-differentiable point: it is reported, not counted as a failure.
- where the central difference disagrees with autodiff, whether f itself jumps there: then
  f(x+h) - f(x-h) does not shrink with h (for a smooth f it shrinks like h). This is what a kink
  of f looks like to an order-2 check, which differentiates the gradient (a step function).

Steps: h_i = cbrt(machine epsilon of float64) * max(1, |x_i|) ~ 6e-6 max(1, |x_i|), which balances
the O(h^2) truncation error against the O(eps/h) round-off error of a central difference; or the
same absolute `eps` for every element when the caller gives one. The step actually taken is
(x + h) - x, which is exactly representable, so the division does not add error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS64 = float(np.finfo(np.float64).eps)
CBRT_EPS = EPS64 ** (1 / 3)
# The round-off in f is taken to be this many ulps of |f|: f is a whole computation, not one
# operation, and a sum of n terms loses up to n ulps (we accept that small cancellations happen).
ROUNDOFF_ULPS = 64
# One-sided slopes disagreeing by more than this fraction of their size make an element a kink
# candidate; it is a kink when the disagreement survives a step KINK_REFINE times smaller.
KINK_RTOL = 1e-3
KINK_REFINE = 16.0

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-4


class EvaluationError(ArithmeticError):
    """The function raised at a perturbed point (e.g. log of a negative number within one step)."""

    def __init__(self, index, point, error):
        super().__init__(f"{type(error).__name__}: {error}")
        self.index, self.point, self.error = index, point, error


def steps(x, eps=None):
    """Per-element central-difference steps for the flat array x (see the module docstring)."""
    if eps is not None:
        return np.full(x.shape, float(eps))
    return CBRT_EPS * np.maximum(1.0, np.abs(x))


def roundoff(f_values, step):
    """Estimated round-off error of a difference quotient with these function values and step."""
    return ROUNDOFF_ULPS * EPS64 * np.max(np.abs(f_values)) / step


@dataclass
class ElementComparison:
    """Autodiff vs finite differences for every element of one flat array."""

    analytic: np.ndarray   # the engine's gradient
    numerical: np.ndarray  # central differences (NaN where the element is a kink)
    allowed: np.ndarray    # atol + rtol * scale + round-off, per element
    kink: np.ndarray       # bool: non-differentiable point
    left: np.ndarray       # one-sided slopes (at the refined step for kinks)
    right: np.ndarray
    jump: np.ndarray       # f(x+h) - f(x-h) at the refined step where f is discontinuous, else NaN

    @property
    def abs_err(self):
        return np.where(self.kink, 0.0, np.abs(self.analytic - self.numerical))

    @property
    def rel_err(self):
        scale = np.maximum(np.abs(self.analytic), np.abs(self.numerical))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(scale > 0, self.abs_err / scale, 0.0)
        return np.where(self.kink, 0.0, rel)

    @property
    def failed(self):
        """Elements that disagree (NaN anywhere counts as disagreement), kinks excluded."""
        bad = ~(np.abs(self.analytic - self.numerical) <= self.allowed)
        return bad & ~self.kink

    def worst(self):
        """Flat index of the element that breaks its tolerance by the largest factor (or has the
        largest error when all pass); None for an empty array or one made only of kinks."""
        if self.analytic.size == 0 or self.kink.all():
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.abs(self.analytic - self.numerical) / self.allowed
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        return int(np.argmax(np.where(self.kink, -1.0, ratio)))


def _evaluate(evaluate, x, j, value):
    x[j] = value
    try:
        return float(evaluate())
    except (ArithmeticError, ValueError) as e:  # domain errors of Values, ZeroDivisionError, ...
        raise EvaluationError(j, value, e) from e


def compare_elements(evaluate, x, analytic, f0, *, eps=None, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL,
                     elements=None):
    """Check `analytic` (the gradient of f at x) element by element against finite differences.

    `evaluate()` computes f at the current contents of the flat float64 array `x`; `f0` is f(x).
    `elements` restricts the check to those flat indices (the others are reported as agreeing).
    `x` is restored before returning, also when `evaluate` raises.
    """
    analytic = np.asarray(analytic, dtype=np.float64).reshape(-1)
    n = x.size
    numerical = analytic.copy()
    left, right = analytic.copy(), analytic.copy()
    noise = np.zeros(n)
    h = steps(x, eps)
    kink = np.zeros(n, dtype=bool)
    jump = np.full(n, np.nan)
    rise = np.zeros(n)  # f(x+h) - f(x-h)
    for j in range(n) if elements is None else elements:
        xj = x[j]
        try:
            fp, xp = _evaluate(evaluate, x, j, xj + h[j]), x[j]
            fm, xm = _evaluate(evaluate, x, j, xj - h[j]), x[j]
            numerical[j], rise[j] = (fp - fm) / (xp - xm), fp - fm
            right[j], left[j] = (fp - f0) / (xp - xj), (f0 - fm) / (xj - xm)
            noise[j] = roundoff((fp, fm, f0), xp - xj)
            slope_gap = abs(right[j] - left[j])
            if slope_gap > KINK_RTOL * max(abs(left[j]), abs(right[j])) + 2 * noise[j]:
                refined = _refined(evaluate, x, j, xj, h[j] / KINK_REFINE, f0)
                kink[j] = _classify(j, refined, rise[j], slope_gap, f0, left, right, jump)
        finally:
            x[j] = xj
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(analytic), np.abs(numerical))
        allowed = atol + rtol * np.where(np.isfinite(scale), scale, 0.0) + noise
        suspects = np.flatnonzero(~(np.abs(analytic - numerical) <= allowed) & ~kink)
    for j in suspects:  # a failing element may be a jump of f that the slopes did not flag
        xj = x[j]
        try:
            refined = _refined(evaluate, x, j, xj, h[j] / KINK_REFINE, f0)
        finally:
            x[j] = xj
        kink[j] = _classify(j, refined, rise[j], np.inf, f0, left, right, jump)
    numerical[kink] = np.nan
    return ElementComparison(analytic, numerical, allowed, kink, left, right, jump)


def _classify(j, refined, rise, slope_gap, f0, left, right, jump):
    """Is element j non-differentiable, judged from the step h/16 against the step h?

    A jump: f(x+h) - f(x-h) does not shrink with h (for a kink or a smooth f it shrinks like h).
    A kink: the one-sided slopes still differ by more than half as much as at step h.
    Records the refined slopes (and the jump) in place; returns whether it is either.
    """
    fp, fm, r, l_ = refined
    if abs(fp - fm) > 0.5 * abs(rise) > ROUNDOFF_ULPS * EPS64 * max(abs(fp), abs(fm), abs(f0)):
        jump[j] = fp - fm
    elif not abs(r - l_) > 0.5 * slope_gap:
        return False
    left[j], right[j] = l_, r
    return True


def _refined(evaluate, x, j, xj, h, f0):
    """f(x+h), f(x-h) and the one-sided slopes at a smaller step h (x[j] left moved)."""
    fp, xp = _evaluate(evaluate, x, j, xj + h), x[j]
    fm, xm = _evaluate(evaluate, x, j, xj - h), x[j]
    return fp, fm, (fp - f0) / (xp - xj), (f0 - fm) / (xj - xm)


def directional_tolerance(ad, fd, n, f_values, tau, *, atol, rtol):
    """Allowed |fd - ad| for a directional derivative over n elements with random signs.

    rtol is a per-element tolerance; a sum of n terms of random sign has about sqrt(n) times the
    size of one term, so one element wrong by rtol moves the sum by about rtol |sum| / sqrt(n).
    A too-tight tolerance here only costs a fall-back to the full check, never a false report.
    """
    return atol + rtol * max(abs(ad), abs(fd)) / np.sqrt(max(n, 1)) + roundoff(f_values, tau)
