"""A verdict that does not depend on choosing a step: how the error shrinks as the step does.

For a correct gradient the central difference's error is truncation error c h^2, until round-off
(about eps64 |f| / h) takes over at small h: on a log-log plot the error falls with slope 2. For a
wrong gradient the error tends to the size of the mistake, which does not depend on h: slope 0
(a kink inside the step, or a one-sided rule, gives about 1). `eps_sweep` measures, per input, the
error of a directional derivative along a random unit direction at steps 1e-1 ... 1e-7, drops the
steps where round-off dominates, and fits the slope on the smallest steps that remain
(`numerics.convergence_order`, which gradcheck's own decision procedure also reports).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from . import numerics
from .core import FunctionProblem, GradientProblem, _gradients, gradcheck_inputs, module_inputs
from .numerics import convergence_order
from .report import GradcheckError, json_safe

DEFAULT_STEPS = tuple(10.0 ** -k for k in range(1, 8))


@dataclass
class SweepRow:
    name: str
    order: int
    steps: list
    errors: list            # |numerical - autodiff| per step (None where fn is undefined)
    usable: list            # bool per step: above round-off
    slope: float | None     # fitted order of convergence
    autodiff: float         # the directional derivative the engine gives
    verdict: str            # "ok", "FAIL", "SUSPECT"
    explanation: str


@dataclass
class EpsSweep:
    rows: list = field(default_factory=list)

    @property
    def ok(self):
        return all(r.verdict == "ok" for r in self.rows)

    def __bool__(self):
        return self.ok

    def to_dict(self):
        return json_safe({"ok": self.ok, "rows": [asdict(r) for r in self.rows]})

    def __str__(self):
        steps = self.rows[0].steps if self.rows else []
        header = ["input", "order"] + [f"h={h:.0e}" for h in steps] + ["slope", "verdict"]
        table = [header]
        for r in self.rows:
            errs = [("-" if e is None else f"{e:.1e}") + ("" if u else "*") for e, u in zip(r.errors, r.usable)]
            table.append([r.name, str(r.order)] + errs + ["-" if r.slope is None else _slope(r.slope), r.verdict])
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = [f"eps sweep: {'PASSED' if self.ok else 'FAILED'} (error of a directional derivative at each step h; "
                 "* = at round-off level, not used in the fit)"]
        lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in table]
        lines += [f"  {r.name} (order {r.order}): {r.explanation}" for r in self.rows]
        return "\n".join(lines)


def _slope(slope):
    text = f"{slope:.2f}"
    return "0.00" if text == "-0.00" else text


def _verdict(slope, errors, usable, autodiff):
    if slope is None:
        if usable.any():
            return "SUSPECT", "only one step has an error above round-off; no order can be fitted"
        return "ok", ("the error is at round-off level at every step (central differences are exact for "
                      "functions that are locally quadratic): consistent with a correct gradient")
    size = min(e for e, u in zip(errors, usable) if u)
    if slope >= 1.5:
        return "ok", f"order {_slope(slope)}: the error shrinks like h^2, as for a correct gradient"
    if slope <= 0.5:
        return "FAIL", (f"order {_slope(slope)}: the error does not shrink with the step; the autodiff directional "
                        f"derivative {autodiff:.9g} is wrong by about {size:.3g}")
    return "SUSPECT", (f"order {_slope(slope)}: first-order convergence: a kink within the step, or a derivative "
                       "that is only approximately right")


def _sweep_slot(problem, k, analytic, f0, steps, rng, order):
    slot = problem.slots[k]
    base = slot.flat.copy()
    u = rng.standard_normal(base.size)
    u /= np.linalg.norm(u)
    ad = float(np.dot(analytic, u))
    errors, noise = [], []
    try:
        for h in steps:
            values = []
            for sign in (1.0, -1.0):
                slot.flat[:] = base + sign * h * u
                try:
                    values.append(problem.value())
                except (ArithmeticError, ValueError):
                    values.append(np.nan)  # the step leaves fn's domain
            fd = (values[0] - values[1]) / (2 * h)
            errors.append(float(abs(fd - ad)) if np.isfinite(fd) else None)
            noise.append(numerics.EPS64 * max(abs(f0), *(abs(v) for v in values if np.isfinite(v))) / h)
    finally:
        slot.flat[:] = base
        slot.sync()
    slope, usable = convergence_order(steps, [np.nan if e is None else e for e in errors], noise)
    verdict, why = _verdict(slope, errors, usable, ad)
    return SweepRow(slot.name, order, list(steps), errors, usable.tolist(), slope, ad, verdict, why)


def eps_sweep(fn, inputs, *, steps=DEFAULT_STEPS, order=1, seed=0) -> EpsSweep:
    """The error of each input's directional derivative at every step in `steps`, and the fitted
    order of convergence with a verdict (ok: about 2; FAIL: about 0; SUSPECT: in between).
    Inputs as for gradcheck."""
    args, slots = gradcheck_inputs(inputs)
    return run_sweep(fn, args, slots, steps=steps, order=order, seed=seed)


def eps_sweep_module(module, inputs, loss_fn=None, *, steps=DEFAULT_STEPS, order=1, seed=0) -> EpsSweep:
    """eps_sweep for every parameter of a module (as check_module)."""
    with module_inputs(module, inputs, loss_fn) as (fn, args, slots):
        return run_sweep(fn, args, slots, steps=steps, order=order, seed=seed)


def run_sweep(fn, args, slots, *, steps=DEFAULT_STEPS, order=1, seed=0) -> EpsSweep:
    if order not in (1, 2):
        raise ValueError(f"eps_sweep: order must be 1 or 2, got {order!r}")
    steps = tuple(float(h) for h in steps)
    if len(steps) < 2 or min(steps) <= 0:
        raise ValueError(f"eps_sweep: need at least two positive steps, got {steps}")
    problem = FunctionProblem(fn, args, slots, seed)
    problems = [problem] + ([GradientProblem(problem, seed)] if order == 2 else [])
    sweep = EpsSweep()
    rng = np.random.default_rng((seed, 4))
    for o, p in enumerate(problems, start=1):
        root = p.build()
        analytic = [s.flat_gradient(g) for s, g in zip(slots, _gradients(root, [s.leaf for s in slots]))]
        f0 = p.value()
        if not np.isfinite(f0):
            raise GradcheckError(f"eps_sweep: fn is not finite at the given point (value {f0})")
        for k in range(len(slots)):
            sweep.rows.append(_sweep_slot(p, k, analytic[k], f0, steps, rng, o))
    return sweep
