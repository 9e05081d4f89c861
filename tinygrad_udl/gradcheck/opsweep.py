"""Check every declared primitive on the sample inputs declared with it (`tinygrad-udl gradcheck --ops`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd.rules import PRIMITIVES
from ..autograd.tensor import Tensor, apply
from .core import gradcheck


@dataclass
class OpResult:
    name: str
    status: str            # "ok", "FAIL", "KINK" or "NO SAMPLE" (a failure: the primitive is unchecked)
    report: object = None  # the GradcheckReport (None without a sample)

    @property
    def ok(self):
        return self.status in ("ok", "KINK")


def check_primitives(names=None, *, order=1, mode="full", seed=0, eps=None, atol=None, rtol=None):
    """Gradcheck every primitive of `rules.PRIMITIVES` (or those in `names`) on its declared sample,
    through the Tensor engine. A primitive declared without a sample is reported as "NO SAMPLE", a
    failure: every primitive must be checked. Unknown names raise KeyError."""
    if names:
        unknown = [n for n in names if n not in PRIMITIVES]
        if unknown:
            raise KeyError(f"unknown primitive(s) {', '.join(unknown)}; registered: {', '.join(sorted(PRIMITIVES))}")
    results = []
    for name in names or sorted(PRIMITIVES):
        rule = PRIMITIVES[name]
        if rule.sample is None:
            results.append(OpResult(name, "NO SAMPLE"))
            continue
        arrays, params = rule.sample(np.random.default_rng((seed, sum(map(ord, name)))))
        inputs = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, label=f"{name}.x{i}")
                  for i, a in enumerate(arrays)]
        report = gradcheck(lambda *xs: apply(rule, *xs, **params), inputs, order=order, mode=mode, seed=seed,
                           eps=eps, atol=atol, rtol=rtol)
        status = "FAIL" if not report.ok else ("KINK" if report.kinks else "ok")
        results.append(OpResult(name, status, report))
    return results
