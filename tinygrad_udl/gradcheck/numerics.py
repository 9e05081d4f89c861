"""Finite differences, element by element, and the decision procedure that turns them into a verdict.

Everything the checker compares goes through `compare_elements`: the whole function's gradient
(one input at a time), the gradient of a gradient (order 2) and each node's own VJP during
localisation. Given a way to evaluate a scalar function `f` of a flat float64 array `x` (changed in
place), it gives every element one status: "ok", "FAIL", "KINK", "SINGULARITY" or "UNDECIDED".

First step, for every element, at the step h: the central difference D(h) = (f(x+h) - f(x-h)) / 2h
(error O(h^2) on a smooth f) and the one-sided slopes (f(x+h) - f(x)) / h, (f(x) - f(x-h)) / h
(which differ by about h f''(x) on a smooth f, by the jump in slope at a kink). The element is ok
when D(h) agrees with autodiff and the one-sided slopes agree: most elements stop here. (If D(h)
agrees but the slopes do not, the ladder below can still find a kink, or a FAIL whose error the
truncation error of D(h) happened to cancel; otherwise the element stays ok.)

Any other element (the only ones that cost more evaluations) is evaluated again on a ladder of
steps s_k = h / 4^k, k = 1, 2, 3 (h/4, h/16, h/64), and `decide` tries, in this order:

1. SINGULARITY if f is not finite (nan, inf) at a point of the ladder: the point is within a step
   of the edge of f's domain or of a pole.
2. KINK if the one-sided slopes differ at every step of the ladder, each settles, and their
   difference settles on a non-zero constant (on a smooth f it shrinks like the step; near a pole
   it grows; where f varies faster than the step it jumps about). Also KINK ("f jumps") if
   f(x+s) and f(x-s) each settle and their difference settles on a non-zero constant: f itself is
   discontinuous. This is what a kink of f looks like to an order-2 check, which differentiates
   the gradient. "Settles": each change as the step shrinks is at most half the one before (or
   below the kink threshold). The one-sided slopes reported are extrapolated to step 0.
3. SINGULARITY if the central differences grow at every step (at least 2-fold per 4-fold smaller
   step) and both they and f(x+s) - f(x-s) follow a power law in the step (successive ratios within
   1.5-fold of each other): the derivative is unbounded near the point. (Where f merely varies
   faster than the step, the central differences grow like 1/s too, but erratically.)
4. Richardson extrapolation E_k = D(s_k) + (D(s_k) - D(s_{k-1})) / 15 cancels the h^2 term of the
   central difference. On the steps where round-off is below the tolerance, the estimates have
   settled when the last change of D is at most half the one before (or the last two changes are
   both within tolerance) and the last change of D or of E is within tolerance. Then E is the
   numerical derivative: ok ("agreed at a smaller step") if autodiff agrees with it, FAIL if not --
   the error stayed put while the step shrank 64-fold, which is what a wrong rule does and a
   correct one does not.
5. UNDECIDED otherwise: f varies on a scale below the smallest step tried (sin(1e6 x) at the
   default step), or a kink or pole lies closer than a step without being at the point. A smaller
   explicit eps looks closer.

A correct rule can only be called FAIL if its finite differences settle on another value, and a
wrong rule can only pass where its error is below the tolerance or f is not smooth on the scale of
the step (then the verdict is KINK, SINGULARITY or UNDECIDED, never ok).

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
# candidate, and must keep disagreeing by more than it at every step of the ladder to be a kink.
KINK_RTOL = 1e-3

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-4

# The ladder: h, h/4, h/16, h/64. Four steps are enough to see a sequence settle (three central
# differences give two extrapolations to compare) at a cost of six more evaluations per element.
LADDER_RATIO = 4.0
LADDER_LENGTH = 4
# A settling sequence changes at each step by at most this fraction of its previous change (a
# smooth f's central differences change 16-fold less, a C^1 f's like x|x| 4-fold less).
SETTLE = 0.5
# Central differences that grow at least this much at every step, all by about the same factor
# (within REGULAR-fold: a power law, as near a pole), belong to an unbounded derivative. (An
# oscillation faster than the step also grows like 1/s, erratically; 2-fold let a narrow band of
# sin(a x), a h ~ 32, through.)
BLOW_UP = 2.0
REGULAR = 1.5
# Fitting an order of convergence: only errors this many times above round-off, the smallest steps.
ABOVE_ROUNDOFF = 10.0
FIT_POINTS = 3

STATUSES = ("ok", "FAIL", "KINK", "SINGULARITY", "UNDECIDED")
UNRESOLVED = ("SINGULARITY", "UNDECIDED")


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


def convergence_order(steps, errors, noise):
    """(slope, usable mask): least-squares slope of log(error) against log(step) over the
    FIT_POINTS smallest steps whose error is above ABOVE_ROUNDOFF * noise (about 2 for a correct
    derivative, 1 for a C^1 function like x|x|, 0 for a wrong one). Shared with `eps_sweep`."""
    steps, errors, noise = (np.asarray(a, dtype=np.float64) for a in (steps, errors, noise))
    usable = np.isfinite(errors) & (errors > ABOVE_ROUNDOFF * noise)
    idx = np.flatnonzero(usable)
    idx = idx[np.argsort(steps[idx])][:FIT_POINTS]
    if idx.size < 2:
        return None, usable
    slope = np.polyfit(np.log(steps[idx]), np.log(errors[idx]), 1)[0]
    return float(slope), usable


@dataclass
class Verdict:
    """What the ladder decided for one element (the fields that do not apply are NaN / None)."""

    status: str                  # one of STATUSES
    step: float                  # the smallest step the verdict rests on
    numerical: float = np.nan    # the extrapolated derivative (ok / FAIL)
    allowed: float = np.nan      # the tolerance it was held to, including the extrapolation's spread
    left: float = np.nan         # one-sided slopes, extrapolated to step 0 (KINK)
    right: float = np.nan
    jump: float = np.nan         # f(x+s) - f(x-s) at the smallest step when f itself jumps
    near: float = np.nan         # where the singularity appears to be (SINGULARITY)
    detail: str = ""             # what the ladder showed (SINGULARITY, UNDECIDED)
    order: float | None = None   # observed order of convergence of the error (ok at a smaller step)


class Ladder:
    """f at x +- s_k for the steps s_k = h / 4^k. `xp`, `xm` are the points actually evaluated, so
    each quotient divides by an exact step; values are NaN where fn raised."""

    def __init__(self, x, f0, xp, xm, fp, fm):
        self.x, self.f0 = x, f0
        self.xp, self.xm, self.fp, self.fm = (np.asarray(a, dtype=np.float64) for a in (xp, xm, fp, fm))
        self.steps = self.xp - x
        self.central, self.right, self.left = quotients(x, f0, self.xp, self.xm, self.fp, self.fm)
        self.rise = self.fp - self.fm
        values = np.concatenate(([f0], self.fp, self.fm))
        self.f_noise = roundoff(values[np.isfinite(values)], 1.0)  # f0 is finite: never empty
        self.noise = self.f_noise / self.steps

    def usable(self, analytic, atol, rtol):
        """How many leading steps have round-off below the tolerance (it grows as the step shrinks)."""
        scale = np.maximum(_finite_abs(analytic), np.nan_to_num(np.abs(self.central), posinf=0.0))
        ok = self.noise <= atol + rtol * scale
        return int(np.argmin(ok)) if not ok.all() else ok.size


def quotients(x, f0, xp, xm, fp, fm):
    """(central difference, right slope, left slope) from f(xp), f(x) = f0, f(xm), xm < x < xp."""
    with np.errstate(invalid="ignore", over="ignore"):
        return (fp - fm) / (xp - xm), (fp - f0) / (xp - x), (f0 - fm) / (x - xm)


def _finite_abs(v):
    return abs(v) if np.isfinite(v) else 0.0


def _evaluate(evaluate, x, j, value):
    x[j] = value
    try:
        return float(evaluate())
    except (ArithmeticError, ValueError) as e:  # domain errors of Values, ZeroDivisionError, ...
        raise EvaluationError(j, value, e) from e


def _evaluate_or_nan(evaluate, x, j, value):
    """On the ladder, inside the first step's interval, fn raising means it is not finite there."""
    try:
        return _evaluate(evaluate, x, j, value)
    except EvaluationError:
        return np.nan


def _ladder(evaluate, x, j, xj, h, f0, first):
    """The ladder of element j, whose first step (fp, xp, fm, xm) is already evaluated."""
    fp, xp, fm, xm = ([v] for v in first)
    for k in range(1, LADDER_LENGTH):
        s = h / LADDER_RATIO ** k
        fp.append(_evaluate_or_nan(evaluate, x, j, xj + s))
        xp.append(x[j])
        fm.append(_evaluate_or_nan(evaluate, x, j, xj - s))
        xm.append(x[j])
    return Ladder(xj, f0, xp, xm, fp, fm)


def decide(ladder, analytic, *, atol, rtol):
    """The verdict on one element from its ladder: the first rule of the module docstring that applies."""
    usable = ladder.usable(analytic, atol, rtol)
    return (_not_finite(ladder) or _kink(ladder) or _blow_up(ladder)
            or _settled(ladder, analytic, usable, atol, rtol) or _undecided(ladder, usable))


def _not_finite(lad):
    """Rule 1. `near` is the last finite point before the nearest non-finite one (or the point)."""
    points, values = np.concatenate((lad.xp, lad.xm)), np.concatenate((lad.fp, lad.fm))
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    distance = np.abs(points - lad.x)
    k = int(np.argmin(np.where(bad, distance, np.inf)))
    inside = ~bad & (np.sign(points - lad.x) == np.sign(points[k] - lad.x)) & (distance < distance[k])
    near = points[np.argmax(np.where(inside, distance, -1.0))] if inside.any() else lad.x
    return Verdict("SINGULARITY", step=float(lad.steps[-1]), near=float(near),
                   detail=f"fn is {values[k]} at {points[k]:.6g}, {distance[k]:.2g} from the point")


def _settles(q, jitter):
    """Each change of q as the step shrinks is at most SETTLE times the one before (or below the
    `jitter` of the finer step: round-off, or a change too small to matter)."""
    change = np.abs(np.diff(q))
    return bool(((change[1:] <= SETTLE * change[:-1]) | (change[1:] <= jitter[2:])).all())


def _constant_off_zero(q, floor, jitter):
    """q is there at every step (|q| > floor, one sign), settles, and its last change is smaller
    than q itself. A quantity proportional to the step (a smooth f's slope gap or rise) changes by
    3 times its value per 4-fold smaller step."""
    return bool((np.abs(q) > floor).all() and (np.sign(q) == np.sign(q[-1])).all() and _settles(q, jitter)
                and abs(q[-1] - q[-2]) < abs(q[-1]))


def _kink(lad):
    """Rule 2: a kink (the slope gap is a constant off zero, each one-sided slope settles) or a jump
    of f (f(x+s) - f(x-s) is a constant off zero, f(x+s) and f(x-s) each settle): the one-sided
    limits exist and differ. A function that varies faster than the step can fake the first
    condition, rarely also the other two. Changes below the kink threshold do not count."""
    gap_floor = KINK_RTOL * np.maximum(np.abs(lad.left), np.abs(lad.right)) + 2 * lad.noise
    slopes = {"left": _to_zero_step(lad.left), "right": _to_zero_step(lad.right), "step": float(lad.steps[-1])}
    if (_constant_off_zero(lad.right - lad.left, gap_floor, gap_floor)
            and _settles(lad.right, gap_floor) and _settles(lad.left, gap_floor)):
        return Verdict("KINK", **slopes)
    rise_jitter = KINK_RTOL * np.abs(lad.rise) + 2 * lad.f_noise
    if (_constant_off_zero(lad.rise, lad.f_noise, rise_jitter)
            and _settles(lad.fp, rise_jitter) and _settles(lad.fm, rise_jitter)):
        return Verdict("KINK", jump=float(lad.rise[-1]), **slopes)
    return None


def _to_zero_step(slopes):
    """A one-sided slope extrapolated to step 0: its error is linear in the step, so the last two
    steps (ratio 4) remove it: q_K + (q_K - q_{K-1}) / 3."""
    return float(slopes[-1] + (slopes[-1] - slopes[-2]) / (LADDER_RATIO - 1))


def _blow_up(lad):
    """Rule 3: central differences above round-off that grow at every step, with f(x+s) - f(x-s)
    following a power law too (a pole's grows, a cusp's like cbrt's shrinks; a function varying
    faster than the step has central differences growing like 1/s, but an erratic rise)."""
    d = np.abs(lad.central)
    if not ((d > ABOVE_ROUNDOFF * lad.noise).all() and (np.sign(lad.rise) == np.sign(lad.rise[-1])).all()):
        return None
    growth = d[1:] / d[:-1]
    if not (growth.min() >= BLOW_UP and _regular(growth) and _regular(np.abs(lad.rise[1:] / lad.rise[:-1]))):
        return None
    return Verdict("SINGULARITY", step=float(lad.steps[-1]), near=lad.x,
                   detail=f"the central differences grow without bound as the step shrinks ({d[0]:.3g} at "
                          f"step {lad.steps[0]:.2g} ... {d[-1]:.3g} at {lad.steps[-1]:.2g})")


def _regular(ratios):
    """Successive ratios within REGULAR-fold of each other: a power law in the step."""
    return bool(ratios.max() <= REGULAR * ratios.min())


def _settled(lad, analytic, n, atol, rtol):
    """Rule 4: Richardson-extrapolate the n usable steps; ok or FAIL if the estimates have settled."""
    if n < 3:
        return None
    d = lad.central[:n]
    e = d[1:] + np.diff(d) / (LADDER_RATIO ** 2 - 1)
    change, previous = abs(d[-1] - d[-2]), abs(d[-2] - d[-3])
    spread = min(change, abs(e[-1] - e[-2]))
    tol = atol + rtol * max(_finite_abs(analytic), abs(e[-1])) + 2 * lad.noise[n - 1]
    # Settled: converging (the last change at most half the one before), or flat within tolerance
    # over the last three steps (which also covers round-off jitter the estimate of it misses).
    if not (change <= SETTLE * previous or max(change, previous) <= tol) or not spread <= tol:
        return None
    allowed = tol + spread
    step = float(lad.steps[n - 1])
    # The value shown: the first step's when it is as good (it carries the least round-off).
    shown = float(d[0] if abs(d[0] - e[-1]) <= tol else e[-1])
    if not abs(analytic - e[-1]) <= allowed:
        return Verdict("FAIL", step=step, numerical=shown, allowed=float(allowed))
    order, _ = convergence_order(lad.steps[:n], np.abs(d - analytic), lad.noise[:n])
    return Verdict("ok", step=step, numerical=shown, allowed=float(allowed), order=order)


def _undecided(lad, n):
    """Rule 5, with what stood in the way: round-off (fewer than 3 usable steps), or variation
    below the smallest step."""
    if n < 3:
        last = float(lad.steps[max(n - 1, 0)])
        return Verdict("UNDECIDED", step=last, detail=(
            f"round-off in fn (about {lad.f_noise:.2g}) swamps the difference quotient at steps below {last:.2g}, "
            "so no smaller step can confirm or refute the first one; a larger atol/rtol would allow it"))
    shown = ", ".join(f"{v:.6g}" for v in lad.central)
    return Verdict("UNDECIDED", step=float(lad.steps[-1]), detail=(
        f"the function varies on a scale below the smallest step tried ({lad.steps[-1]:.2g}): the central "
        f"differences at steps {lad.steps[0]:.2g} ... {lad.steps[-1]:.2g} do not settle ({shown}); a kink or a "
        "singularity closer than a step, or an oscillation faster than it. Pass a smaller eps to look closer"))


@dataclass
class ElementComparison:
    """Autodiff vs finite differences for every element of one flat array."""

    analytic: np.ndarray   # the engine's gradient
    numerical: np.ndarray  # the central difference, or its extrapolation on the ladder (NaN: no value judged)
    allowed: np.ndarray    # the tolerance each element was held to
    status: np.ndarray     # one of STATUSES per element
    left: np.ndarray       # one-sided slopes (for kinks: extrapolated to step 0 from the ladder)
    right: np.ndarray
    jump: np.ndarray       # f(x+s) - f(x-s) at the smallest step where f is discontinuous, else NaN
    verdicts: dict         # flat index -> Verdict, for the elements decided on the ladder

    @property
    def kink(self):
        return self.status == "KINK"

    @property
    def failed(self):
        return self.status == "FAIL"

    @property
    def unresolved(self):
        """Neither passed nor failed: SINGULARITY or UNDECIDED."""
        return np.isin(self.status, UNRESOLVED)

    @property
    def refined(self):
        """Elements that agreed only on the ladder (at a smaller step, extrapolated)."""
        on_ladder = np.zeros(self.status.size, dtype=bool)
        on_ladder[list(self.verdicts)] = True
        return on_ladder & (self.status == "ok")

    @property
    def _judged(self):
        return np.isin(self.status, ("ok", "FAIL"))

    @property
    def abs_err(self):
        with np.errstate(invalid="ignore"):
            return np.where(self._judged, np.abs(self.analytic - self.numerical), 0.0)

    @property
    def rel_err(self):
        scale = np.maximum(np.abs(self.analytic), np.abs(self.numerical))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(scale > 0, self.abs_err / scale, 0.0)
        return np.where(self._judged, rel, 0.0)

    def worst(self):
        """Flat index of the judged (ok or FAIL) element that breaks its tolerance by the largest
        factor (or has the largest error when all pass); None when no element was judged."""
        if not self._judged.any():
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.abs(self.analytic - self.numerical) / self.allowed
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        return int(np.argmax(np.where(self._judged, ratio, -1.0)))


def _first_step(evaluate, x, j, xj, h):
    """(fp, xp, fm, xm) at the step h; raises EvaluationError where fn raises."""
    fp, xp = _evaluate(evaluate, x, j, xj + h), x[j]
    fm, xm = _evaluate(evaluate, x, j, xj - h), x[j]
    return fp, xp, fm, xm


def compare_elements(evaluate, x, analytic, f0, *, eps=None, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL,
                     elements=None):
    """Check `analytic` (the gradient of f at x) element by element against finite differences.

    `evaluate()` computes f at the current contents of the flat float64 array `x`; `f0` is f(x).
    `elements` restricts the check to those flat indices (the others are reported as agreeing).
    `x` is restored before returning, also when `evaluate` raises (EvaluationError, at the first step).
    """
    analytic = np.asarray(analytic, dtype=np.float64).reshape(-1)
    n = x.size
    numerical, left, right = analytic.copy(), analytic.copy(), analytic.copy()
    with np.errstate(invalid="ignore"):
        allowed = atol + rtol * np.abs(analytic)
    status = np.full(n, "ok", dtype=f"<U{max(map(len, STATUSES))}")
    jump = np.full(n, np.nan)
    verdicts = {}
    h = steps(x, eps)
    for j in range(n) if elements is None else elements:
        xj = x[j]
        try:
            first = _first_step(evaluate, x, j, xj, h[j])
            numerical[j], right[j], left[j], allowed[j], agrees, candidate = _first_look(first, xj, f0, analytic[j],
                                                                                       atol, rtol)
            if agrees and not candidate:
                continue
            verdict = decide(_ladder(evaluate, x, j, xj, h[j], f0, first), analytic[j], atol=atol, rtol=rtol)
        finally:
            x[j] = xj
        if agrees and verdict.status not in ("KINK", "FAIL"):
            continue  # the first step stands unless the ladder finds a kink, or settles on another value
        verdicts[j], status[j] = verdict, verdict.status
        numerical[j], allowed[j] = verdict.numerical, verdict.allowed
        if verdict.status == "KINK":
            left[j], right[j], jump[j] = verdict.left, verdict.right, verdict.jump
    return ElementComparison(analytic, numerical, allowed, status, left, right, jump, verdicts)


def _first_look(first, xj, f0, a, atol, rtol):
    """(central, right, left, allowed, agrees, kink candidate) at the first step."""
    fp, xp, fm, xm = first
    central, right, left = quotients(xj, f0, xp, xm, fp, fm)
    with np.errstate(invalid="ignore", over="ignore"):
        noise = roundoff((fp, fm, f0), xp - xj)
        scale = max(abs(a), abs(central))
        allowed = atol + rtol * (scale if np.isfinite(scale) else 0.0) + noise
        agrees = bool(abs(a - central) <= allowed)
        candidate = bool(abs(right - left) > KINK_RTOL * max(abs(left), abs(right)) + 2 * noise)
    return central, right, left, allowed, agrees, candidate


def directional_tolerance(ad, fd, n, f_values, tau, *, atol, rtol):
    """Allowed |fd - ad| for a directional derivative over n elements with random signs.

    rtol is a per-element tolerance; a sum of n terms of random sign has about sqrt(n) times the
    size of one term, so one element wrong by rtol moves the sum by about rtol |sum| / sqrt(n).
    A too-tight tolerance here only costs a fall-back to the full check, never a false report.
    """
    return atol + rtol * max(abs(ad), abs(fd)) / np.sqrt(max(n, 1)) + roundoff(f_values, tau)
