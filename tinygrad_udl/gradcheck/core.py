"""`gradcheck` and `check_module`: the engine's gradient against central finite differences.

How a check runs (each step answers a weakness of the usual checkers, see docs/gradcheck.md):

1. The checked inputs are copied to float64 leaves (a module's parameters get float64 data for the
   duration of the check, restored afterwards): float32 would make finite differences useless.
2. A non-scalar output is reduced to a number by a fixed random projection <w, f(x)> (seeded), so
   one gradient covers every output element with probability one.
3. The function is run once with recording on (and creation sites recorded, `sites.py`); its
   gradient is taken with retain_graph=True so that every node can be re-checked later.
4. mode="fast": one directional derivative along a random +-1 direction (one JVP by finite
   differences against one VJP). If it disagrees, or in mode="full", every element is checked
   (`numerics.compare_elements`): an element that does not agree at the first step is looked at
   on smaller steps before it is called ok, FAIL, a kink, near a singularity or undecided.
5. order=2: the same check applied to h(x) = <grad f(x), u> for a fixed random u, whose gradient
   the engine computes by differentiating its own backward pass (create_graph=True).
6. On a failure, `localise.find_wrong_node` names the first primitive whose own VJP is wrong.
   Elements near a singularity or undecided make the check not pass, but blame no rule.
"""
from __future__ import annotations

import contextlib
import numbers

import numpy as np

from ..autograd import functional
from ..autograd.graph import enable_grad
from ..autograd.tensor import Tensor
from ..autograd.value import Value
from . import localise, numerics
from .report import DirectionalCheck, GradcheckError, GradcheckReport, InputCheck, Kink, Unresolved
from .sites import record_creation_sites

# Independent random streams derived from `seed`, one per purpose.
_PROJECTION, _DIRECTION, _SECOND_ORDER, _LOCALISE = range(4)


class Slot:
    """A checked input: the float64 leaf the function sees, and a flat float64 view of its numbers
    that finite differences perturb in place."""

    def __init__(self, name, leaf):
        self.name, self.leaf = name, leaf
        if isinstance(leaf, Value):
            self.flat, self.shape = np.array([leaf.data]), ()
        else:
            self.flat, self.shape = leaf.data.reshape(-1), leaf.data.shape
            assert np.shares_memory(self.flat, leaf.data)

    def sync(self):
        if isinstance(self.leaf, Value):
            self.leaf.data = float(self.flat[0])

    def flat_gradient(self, g):
        """A gradient (None, float, Value or Tensor) as a flat float64 array of this slot's size."""
        if g is None:
            return np.zeros(self.flat.size)
        data = g.data if isinstance(g, Value | Tensor) else g
        return np.array(data, dtype=np.float64).reshape(-1)

    def index(self, flat_index):
        return tuple(int(i) for i in np.unravel_index(flat_index, self.shape)) if self.shape else ()


def _gradients(root, leaves, create_graph=False):
    """d root / d leaves (None where root does not depend on a leaf), graph kept for re-checks."""
    if root is None or (isinstance(root, Tensor) and not root.requires_grad):
        return [None] * len(leaves)
    return functional.grad(root, leaves, create_graph=create_graph, retain_graph=True, allow_unused=True)


class FunctionProblem:
    """The scalar to differentiate: <w, fn(*args)> with a fixed random projection w."""

    def __init__(self, fn, args, slots, seed):
        self.fn, self.args, self.slots = fn, args, slots
        self.rng = np.random.default_rng((seed, _PROJECTION))
        self.weights = None
        self.notes = []

    def _outputs(self, out):
        outs = list(out) if isinstance(out, list | tuple) else [out]
        if not outs:
            raise GradcheckError("fn returned an empty sequence; it must return a Value or a Tensor")
        for o in outs:
            if isinstance(o, Value):
                continue
            if not isinstance(o, Tensor):
                raise GradcheckError(f"fn must return a Value or a Tensor (or a list of them), got "
                                     f"{type(o).__name__} {o!r:.60}")
            if o.dtype.kind != "f":
                raise GradcheckError(f"fn returned a {o.dtype} tensor; only floating-point outputs have gradients")
        shapes = [np.shape(o.data) for o in outs]
        if self.weights is None:
            single = len(outs) == 1
            self.weights = [1.0 if single and int(np.prod(s)) == 1 else
                            (self.rng.standard_normal(s) if s else float(self.rng.standard_normal())) for s in shapes]
            self.shapes = shapes
            low = [str(o.dtype) for o in outs if isinstance(o, Tensor) and o.dtype != np.float64]
            if low:
                self.notes.append(f"fn returned {low[0]} on float64 inputs: it computes part of its result "
                                  "outside float64 (a float32 tensor made from .data?), so round-off is larger")
        elif shapes != self.shapes:
            raise GradcheckError(f"fn returned outputs of shapes {shapes} after {self.shapes} for inputs of the "
                                 "same shapes; it must be a fixed function of its inputs")
        return outs

    def _sync(self):
        for s in self.slots:
            s.sync()

    def value(self):
        """The projected output at the current contents of the slots. Recording stays on: fn may
        differentiate inside (a gradient penalty calls grad()), which needs a graph."""
        self._sync()
        with enable_grad():
            outs = self._outputs(self.fn(*self.args))
        return float(sum(np.sum(w * o.data) for w, o in zip(self.weights, outs)))

    def build(self):
        """The projected output as a node, with the graph recorded."""
        self._sync()
        with enable_grad():
            outs = self._outputs(self.fn(*self.args))
            total = None
            for w, o in zip(self.weights, outs):
                if isinstance(o, Tensor):
                    term = (o if isinstance(w, float) else o * Tensor._wrap(w)).sum()
                else:
                    term = o if w == 1.0 else o * w
                total = term if total is None else total + term
        return total


class GradientProblem:
    """Order 2: h(x) = sum_k <d f / d x_k, u_k>, whose gradient is the Hessian of f applied to u."""

    def __init__(self, base, seed):
        self.base, self.slots = base, base.slots
        rng = np.random.default_rng((seed, _SECOND_ORDER))
        self.u = [rng.standard_normal(s.flat.size) for s in self.slots]
        self.notes = base.notes

    def value(self):
        grads = _gradients(self.base.build(), [s.leaf for s in self.slots])
        return float(sum(np.dot(s.flat_gradient(g), u) for s, g, u in zip(self.slots, grads, self.u)))

    def build(self):
        grads = _gradients(self.base.build(), [s.leaf for s in self.slots], create_graph=True)
        with enable_grad():
            total = None
            for s, g, u in zip(self.slots, grads, self.u):
                if isinstance(g, Value):
                    term = g * float(u[0])
                elif isinstance(g, Tensor):  # a constant when f is linear in this input
                    term = (g * Tensor._wrap(u.reshape(s.shape))).sum()
                else:
                    continue  # f does not depend on this input
                total = term if total is None else total + term
        return total


class _Settings:
    def __init__(self, eps, atol, rtol, mode, seed):
        if mode not in ("fast", "full"):
            raise ValueError(f"gradcheck: mode must be 'fast' or 'full', got {mode!r}")
        if eps is not None and not eps > 0:
            raise ValueError(f"gradcheck: eps must be a positive step, got {eps!r}")
        self.eps = None if eps is None else float(eps)
        self.atol = numerics.DEFAULT_ATOL if atol is None else float(atol)
        self.rtol = numerics.DEFAULT_RTOL if rtol is None else float(rtol)
        self.mode, self.seed = mode, seed


def _evaluation_failed(slot, e, order):
    where = f"{slot.name}{list(slot.index(e.index)) if slot.shape else ''}"
    return GradcheckError(f"gradcheck: fn raised {e} when {where} was moved to {e.point:.9g} for a finite "
                          f"difference (order {order}); the point is within one step of the edge of fn's domain. "
                          "Check at a point further inside, or pass a smaller eps.")


def _analyse(problem, order, settings, report):
    """Run one order's check, adding its rows to `report`; return (no element failed, root, sites)."""
    slots = problem.slots
    with record_creation_sites() as sites:
        root = problem.build()
    analytic = [s.flat_gradient(g) for s, g in zip(slots, _gradients(root, [s.leaf for s in slots]))]
    f0 = problem.value()
    rooted = 0.0 if root is None else float(np.sum(root.data))
    if not np.isfinite(f0):
        raise GradcheckError(f"gradcheck: fn is not finite at the given point (order {order} value {f0}); "
                             "choose a point inside its domain")
    if abs(rooted - f0) > 1e-9 * max(1.0, abs(f0)):
        if order == 2:
            raise GradcheckError(f"gradcheck: <grad f, u> is {rooted!r} when the gradient is computed on nodes "
                                 f"(create_graph=True) but {f0!r} on raw arrays: some VJP computes something "
                                 "different in its two namespaces (rules.py: an o.<fn> whose node and raw "
                                 "versions disagree)")
        raise GradcheckError(f"gradcheck: fn gave {rooted!r} and then {f0!r} at the same point: it is not "
                             "deterministic (random sampling or dropout inside? call model.eval() or fix the "
                             "random generator), so finite differences mean nothing")
    if settings.mode == "fast":
        d = _directional(problem, analytic, f0, order, settings)
        report.directional.append(d)
        if d.ok:
            return True, root, sites
    passed = True
    for s, a in zip(slots, analytic):
        try:
            cmp = numerics.compare_elements(problem.value, s.flat, a, f0, eps=settings.eps, atol=settings.atol,
                                            rtol=settings.rtol)
        except numerics.EvaluationError as e:
            raise _evaluation_failed(s, e, order) from None
        finally:
            s.sync()
        report.checks.append(_row(s, order, cmp))
        report.kinks += [Kink(s.name, s.index(j), order, float(cmp.left[j]), float(cmp.right[j]), float(a[j]),
                              None if np.isnan(cmp.jump[j]) else float(cmp.jump[j]))
                         for j in np.flatnonzero(cmp.kink)]
        report.unresolved += [Unresolved(s.name, s.index(j), order, v.status, float(a[j]),
                                         None if np.isnan(v.near) else v.near, v.detail)
                              for j, v in cmp.verdicts.items() if v.status in numerics.UNRESOLVED]
        report.notes += _refined_note(s, order, cmp)
        passed &= not cmp.failed.any()
    return passed, root, sites


def _refined_note(slot, order, cmp):
    """A note (in a list, empty if none) on elements that agreed only at a smaller step: the user
    should know the first step was too coarse for fn there (a FAIL at that step would have been wrong)."""
    refined = [cmp.verdicts[j] for j in np.flatnonzero(cmp.refined)]
    if not refined:
        return []
    orders = sorted({f"{v.order:.1f}" for v in refined if v.order is not None})
    shrank = f"; the error shrank like h^{' or h^'.join(orders)}" if orders else ""
    where = slot.name + ("" if order == 1 else f" (order {order})")
    return [f"{where}: {len(refined)} element(s) agreed only at a smaller step (down to "
            f"{min(v.step for v in refined):.2g}, Richardson-extrapolated){shrank}: fn curves strongly on the "
            "scale of the first step"]


def _row(slot, order, cmp):
    abs_err = np.where(np.isnan(cmp.abs_err), np.inf, cmp.abs_err)
    rel_err = np.where(np.isnan(cmp.rel_err), np.inf, cmp.rel_err)
    w = cmp.worst()
    return InputCheck(
        name=slot.name, shape=tuple(slot.shape), order=order, checked=int(slot.flat.size),
        failed=int(cmp.failed.sum()), kinks=int(cmp.kink.sum()),
        max_abs_err=float(abs_err.max(initial=0.0)), max_rel_err=float(rel_err.max(initial=0.0)),
        worst_index=None if w is None else slot.index(w),
        autodiff=None if w is None else float(cmp.analytic[w]),
        numerical=None if w is None else float(cmp.numerical[w]),
        singular=int((cmp.status == "SINGULARITY").sum()), undecided=int((cmp.status == "UNDECIDED").sum()),
        refined=int(cmp.refined.sum()))


def _directional(problem, analytic, f0, order, settings):
    """One JVP by central differences along a random +-1 direction u (scaled per element like the
    full check's steps) against the VJP's <grad, u>."""
    slots = problem.slots
    rng = np.random.default_rng((settings.seed, _DIRECTION, order))
    tau = numerics.CBRT_EPS if settings.eps is None else settings.eps
    base = [s.flat.copy() for s in slots]
    u = [rng.choice([-1.0, 1.0], size=s.flat.size) * numerics.steps(b, settings.eps) / tau
         for s, b in zip(slots, base)]
    values = []
    try:
        for sign in (1.0, -1.0):
            for s, b, d in zip(slots, base, u):
                s.flat[:] = b + sign * tau * d
            values.append(problem.value())
    except (ArithmeticError, ValueError):
        values = [np.nan, np.nan]  # outside the domain one step away: let the full check say where
    finally:
        for s, b in zip(slots, base):
            s.flat[:] = b
            s.sync()
    fd = (values[0] - values[1]) / (2 * tau)
    ad = float(sum(np.dot(a, d) for a, d in zip(analytic, u)))
    n = sum(s.flat.size for s in slots)
    allowed = numerics.directional_tolerance(ad, fd, n, (f0, *values), tau, atol=settings.atol, rtol=settings.rtol)
    ok = bool(abs(fd - ad) <= allowed)
    return DirectionalCheck(order=order, autodiff=ad, numerical=float(fd), allowed=float(allowed), ok=ok,
                            fell_back=not ok)


def run_check(fn, args, slots, *, eps=None, atol=None, rtol=None, mode="full", order=1, seed=0,
              raise_on_failure=False):
    """The shared driver of gradcheck and check_module (slots are the checked float64 leaves)."""
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    settings = _Settings(eps, atol, rtol, mode, seed)
    report = GradcheckReport(ok=True, mode=mode, order=order, eps=settings.eps, atol=settings.atol,
                             rtol=settings.rtol)
    problem = FunctionProblem(fn, args, slots, seed)
    problems = [problem] + ([GradientProblem(problem, seed)] if order == 2 else [])
    for k, p in enumerate(problems, start=1):
        passed, root, sites = _analyse(p, k, settings, report)
        if not passed:
            _localise(report, root, sites, settings, k)
        if not passed or report.unresolved:  # an unresolved element blames no rule, but is no pass either
            report.ok = False
            if k < len(problems):
                report.notes.append(f"order {k + 1} was not checked: order {k} already "
                                    + ("fails" if not passed else "is undecided"))
            break
    report.notes += problem.notes
    if raise_on_failure and not report.ok:
        raise GradcheckError(str(report), report)
    return report


def _localise(report, root, sites, settings, order):
    rng = np.random.default_rng((settings.seed, _LOCALISE))
    report.wrong_node = localise.find_wrong_node(root, sites, rng, atol=settings.atol, rtol=settings.rtol)
    if report.wrong_node is None:
        report.localisation = (
            f"localisation: every primitive of the order-{order} graph has a correct VJP at its recorded inputs, "
            "so the mismatch comes from how they are put together: a value taken outside the graph "
            "(.data, float(), detach(), numpy) that still depends on an input, a gradient hook that changes "
            "gradients, or a kink within one step of the point.")


def _name(x, i, taken):
    label = getattr(x, "label", None)
    name = label if isinstance(label, str) and label and label not in taken else f"inputs[{i}]"
    taken.add(name)
    return name


def gradcheck_inputs(inputs):
    """(args for fn, checked slots): float64 copies of the Values and of the Tensors that require
    grad; other float tensors as float64 constants; anything else unchanged."""
    inputs = [inputs] if isinstance(inputs, Value | Tensor) else list(inputs)
    args, slots, taken = [], [], set()
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            leaf = Value(x.data, label=x.label)
            slots.append(Slot(_name(x, i, taken), leaf))
        elif isinstance(x, Tensor) and x.requires_grad:
            leaf = Tensor(np.array(x.data, dtype=np.float64), requires_grad=True, label=x.label)
            slots.append(Slot(_name(x, i, taken), leaf))
        elif isinstance(x, Tensor) and x.dtype.kind == "f":
            leaf = Tensor._wrap(np.array(x.data, dtype=np.float64))
            leaf.label = x.label
        else:
            leaf = x
        args.append(leaf)
    if not slots:
        raise GradcheckError("gradcheck: nothing to check: no input is a Value or a Tensor with requires_grad=True")
    return args, slots


def gradcheck(fn, inputs, *, eps=None, atol=None, rtol=None, mode="full", order=1, seed=0,
              raise_on_failure=False) -> GradcheckReport:
    """Check the gradient of `fn(*inputs)` against central finite differences in float64.

    inputs: Values (all checked) and Tensors (those with requires_grad=True are checked; other float
    tensors are passed as float64 constants); anything else is passed unchanged. A single Value or
    Tensor may be given instead of a list. fn may return a Value or Tensor of any shape (or a list):
    a non-scalar output is checked through a fixed random projection. fn must be deterministic.

    eps: an absolute step for every element (default: cbrt(eps64) * max(1, |x|) per element).
    atol, rtol: an element passes when |autodiff - numerical| <= atol + rtol * max(|autodiff|,
    |numerical|) + estimated round-off (defaults 1e-6 and 1e-4).
    mode: "full" checks every element; "fast" checks one random direction and falls back to "full"
    when it fails. order=2 also checks gradients of gradients.
    Returns a GradcheckReport (truthy when passed); raise_on_failure=True raises GradcheckError.
    """
    args, slots = gradcheck_inputs(inputs)
    return run_check(fn, args, slots, eps=eps, atol=atol, rtol=rtol, mode=mode, order=order, seed=seed,
                     raise_on_failure=raise_on_failure)


def check_module(module, inputs, loss_fn=None, *, eps=None, atol=None, rtol=None, mode="full", order=1, seed=0,
                 raise_on_failure=False) -> GradcheckReport:
    """Check the gradient of every parameter of `module` (anything with `named_parameters()`
    yielding (name, Tensor) and callable as module(*inputs)).

    loss_fn(output) -> scalar; by default a fixed random projection of the output. The parameters
    hold float64 copies of their data during the check and get their own data (and .grad) back
    afterwards; float inputs are passed as float64 constants. Parameters with requires_grad=False
    are not checked. Put modules with randomness (dropout) in eval mode first.
    """
    with module_inputs(module, inputs, loss_fn) as (fn, args, slots):
        return run_check(fn, args, slots, eps=eps, atol=atol, rtol=rtol, mode=mode, order=order, seed=seed,
                         raise_on_failure=raise_on_failure)


@contextlib.contextmanager
def module_inputs(module, inputs, loss_fn=None):
    """(fn, args, slots) for checking a module's parameters; their float64 data lasts the block."""
    if not hasattr(module, "named_parameters") or not callable(module):
        raise TypeError("check_module: expected a module (named_parameters() and callable), got "
                        f"{type(module).__name__}")
    inputs = [inputs] if isinstance(inputs, Value | Tensor | np.ndarray | numbers.Number) else list(inputs)
    args = []
    for x in inputs:
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" or isinstance(x, Tensor) and x.dtype.kind == "f":
            x = Tensor._wrap(np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64))
        args.append(x)
    saved, slots, seen = [], [], set()
    try:
        for name, p in module.named_parameters():
            if not isinstance(p, Tensor):
                raise TypeError(f"check_module: parameter {name!r} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            saved.append((p, p.data, p.grad))
            p.data = np.array(p.data, dtype=np.float64)
            slots.append(Slot(name, p))
        if not slots:
            raise GradcheckError("check_module: the module has no parameter with requires_grad=True")

        def fn(*xs):
            out = module(*xs)
            return out if loss_fn is None else loss_fn(out)

        yield fn, args, slots
    finally:
        for p, data, g in saved:
            p.data, p.grad = data, g
