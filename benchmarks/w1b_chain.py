"""W1b: a deep scalar chain, x <- tanh(0.9 x + 0.1) repeated N times, then backward.

It measures graph depth: 3N nodes in one chain. micrograd's recursive topological sort raises
RecursionError from N = 1e3 (Python's default limit is 1000 frames); tinygrad_udl's sort and
backward driver are iterative (graph.toposort). PyTorch runs on 0-d float64 tensors; the floor is
the same chain by hand on Python floats (forward, then the product of the local derivatives).

Check value: (x_N, dx_N/dx_0) from x_0 = 0.5. Each step contracts the derivative by about
0.9 (1 - x^2) = 0.68, so dx_N/dx_0 underflows to (almost) 0 from N ~ 1e3 on: at these sizes the
check shows the forward values agree and that backward ran; the tests use a short chain, where
the gradient is a real check. micrograd 0.1.0 has no `tanh`; the benchmark adds the one of
micrograd's lecture version (same pattern as its `relu`) to micrograd's Value in this process.
"""
from __future__ import annotations

import math

from .harness import AUTOGRAD, MICROGRAD, OURS, TORCH, Case, SystemCase, Workload

X0 = 0.5


class ValueChain(Case):
    """The chain on any Value class with micrograd's interface (tinygrad_udl's or micrograd's)."""

    def __init__(self, value_cls, n):
        self.value_cls, self.n = value_cls, n

    def step(self):
        x0 = x = self.value_cls(X0)
        for _ in range(self.n):
            x = (0.9 * x + 0.1).tanh()
        x.backward()
        return x.data, x0.grad


def ours(n):
    from tinygrad_udl import Value

    return ValueChain(Value, n)


def micrograd(n):
    from micrograd.engine import Value

    if not hasattr(Value, "tanh"):
        Value.tanh = _micrograd_tanh
    return ValueChain(Value, n)


def _micrograd_tanh(self):
    """micrograd 0.1.0 has no tanh; this is the one of micrograd's lecture version, in its style."""
    from micrograd.engine import Value

    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


class TorchChain(Case):
    def __init__(self, n):
        import torch

        self.torch, self.n = torch, n

    def step(self):
        torch = self.torch
        x0 = x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        for _ in range(self.n):
            x = torch.tanh(0.9 * x + 0.1)
        x.backward()
        return x.item(), x0.grad.item()


class AutogradChain(Case):
    def __init__(self, n):
        import autograd
        import autograd.numpy as anp

        def chain(x):
            for _ in range(n):
                x = anp.tanh(0.9 * x + 0.1)
            return x

        self.value_and_grad = autograd.value_and_grad(chain)

    def step(self):
        value, grad = self.value_and_grad(X0)
        return float(value), float(grad)


class FloatChain(Case):
    """By hand on Python floats: the forward values are kept, backward multiplies 0.9 (1 - x^2)."""

    def __init__(self, n):
        self.n = n

    def step(self):
        xs, x, tanh = [], X0, math.tanh
        for _ in range(self.n):
            x = tanh(0.9 * x + 0.1)
            xs.append(x)
        g = 1.0
        for y in reversed(xs):
            g *= 0.9 * (1.0 - y * y)
        return x, g


# (N, timed samples, warm-up steps): one run is long enough at 1e5 and beyond to need no warm-up.
FULL = ((10**3, 10, 1), (10**4, 5, 1), (10**5, 3, 0), (10**6, 1, 0))
QUICK = ((10**3, 5, 1), (10**4, 2, 1), (10**5, 1, 0))


def workloads(quick):
    out = []
    for n, repeats, warmup in (QUICK if quick else FULL):
        exp = f"1e{round(math.log10(n))}"
        recursion = "not run: RecursionError from N = 1e3 (recursive topological sort)"
        out.append(Workload(
            key=f"W1b-{exp}", title=f"deep scalar chain x <- tanh(0.9x + 0.1), N = {exp} ({3 * n:,} nodes), "
                                    "forward + backward, float64",
            unit="ms/run", unit_scale=1e3, repeats=repeats, warmup=warmup, memory_steps=1 - warmup,
            check_rtol=1e-9, check_atol=1e-12,
            memory_methods=("rss",) if n >= 10**6 else None,
            cases=[
                SystemCase(f"{OURS} Value", lambda n=n: ours(n)),
                SystemCase(MICROGRAD, lambda n=n: micrograd(n), requires="micrograd",
                           skip=recursion if n > 10**4 else None),
                SystemCase(TORCH, lambda n=n: TorchChain(n), requires="torch", note="0-d tensors"),
                SystemCase(AUTOGRAD, lambda n=n: AutogradChain(n), requires="autograd",
                           skip="not run at 1e6 (about a minute per run; linear in N from 1e5)"
                           if n >= 10**6 else None),
                SystemCase("python floats (hand)", lambda n=n: FloatChain(n), note="the floor"),
            ]))
    return out
