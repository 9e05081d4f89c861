"""W2: per-operation overhead, tanh(a * b + c).sum() on shape-(8,) float32 tensors, backward, zero grads.

With eight numbers per tensor the arithmetic costs nothing: the time is the Python (or C++)
bookkeeping of four recorded operations, their backward pass and clearing the gradients -- what
dominates the small models of the book. One timed sample is a loop of `inner` iterations;
the table gives microseconds per iteration. HIPS autograd and JAX are functional (no gradients to
clear); JAX's iteration is one `jax.jit`-compiled value-and-grad call, the dispatch cost of a
compiled function. The floor is the same forward and backward by hand in numpy.
"""
from __future__ import annotations

from .harness import AUTOGRAD, JAX, NUMPY, OURS, TORCH, Case, SystemCase, Workload

SIZE = 8


def _inputs():
    import numpy as np

    rng = np.random.default_rng(0)
    return [rng.standard_normal(SIZE).astype(np.float32) for _ in range(3)]


class LoopCase(Case):
    """check(): one iteration's output and gradient sums; step(): `inner` iterations."""

    def __init__(self, inner):
        self.inner = inner

    def check(self):
        out, grads = self.iteration()
        return (out,) + tuple(float(g.sum()) for g in grads)

    def step(self):
        for _ in range(self.inner):
            self.iteration()


class Ours(LoopCase):
    def __init__(self, inner):
        super().__init__(inner)
        import tinygrad_udl as tg

        self.zero_grad = tg.zero_grad
        self.abc = [tg.Tensor(x, requires_grad=True) for x in _inputs()]

    def iteration(self):
        a, b, c = self.abc
        out = (a * b + c).tanh().sum()
        out.backward()
        grads = [t.grad.data for t in self.abc]
        self.zero_grad(self.abc)
        return out.item(), grads


class OursCompiled(Ours):
    """The same iteration through tinygrad_udl.compile: traced twice, then replayed on arrays."""

    def __init__(self, inner):
        super().__init__(inner)
        import tinygrad_udl as tg

        self.iteration = tg.compile(self.iteration)


class Torch(LoopCase):
    def __init__(self, inner):
        super().__init__(inner)
        import torch

        self.abc = [torch.tensor(x, requires_grad=True) for x in _inputs()]

    def iteration(self):
        a, b, c = self.abc
        out = (a * b + c).tanh().sum()
        out.backward()
        grads = [t.grad for t in self.abc]   # tensors, as a PyTorch user keeps them (check() sums them)
        for t in self.abc:
            t.grad = None  # what optimizer.zero_grad() does by default (set_to_none=True)
        return out.item(), grads


class Autograd(LoopCase):
    def __init__(self, inner):
        super().__init__(inner)
        import autograd
        import autograd.numpy as anp

        self.abc = tuple(_inputs())
        self.value_and_grad = autograd.value_and_grad(lambda abc: anp.sum(anp.tanh(abc[0] * abc[1] + abc[2])))

    def iteration(self):
        out, grads = self.value_and_grad(self.abc)
        return float(out), grads


class Jax(LoopCase):
    """A jitted value-and-grad w.r.t. a, b and c; reading the value and the gradients as numpy waits
    for JAX's asynchronous dispatch, so every iteration's work is done inside the timed loop."""

    def __init__(self, inner):
        super().__init__(inner)
        import jax
        import jax.numpy as jnp
        import numpy as np

        self.abc = [jnp.asarray(x) for x in _inputs()]
        self.value_and_grad = jax.jit(jax.value_and_grad(lambda a, b, c: jnp.sum(jnp.tanh(a * b + c)),
                                                         argnums=(0, 1, 2)))
        self.as_numpy = np.asarray

    def iteration(self):
        out, grads = self.value_and_grad(*self.abc)
        return float(out), [self.as_numpy(g) for g in grads]


class Numpy(LoopCase):
    def __init__(self, inner):
        super().__init__(inner)
        self.abc = _inputs()

    def iteration(self):
        import numpy as np

        a, b, c = self.abc
        t = np.tanh(a * b + c)
        g = 1 - t * t  # d tanh(z)/dz, and d sum/d t = 1
        return float(t.sum()), [g * b, g * a, g]


def workloads(quick):
    inner = 200 if quick else 1000
    return [Workload(
        key="W2", title=f"per-op overhead: tanh(a*b + c).sum(), backward, zero grads; shape ({SIZE},) float32",
        unit="us/iter", unit_scale=1e6, repeats=5 if quick else 15, warmup=1, inner=inner, check_rtol=1e-5,
        memory_steps=1,
        cases=[
            SystemCase(OURS, lambda: Ours(inner)),
            SystemCase(f"{OURS} compiled", lambda: OursCompiled(inner), note="tinygrad_udl.compile"),
            SystemCase(TORCH, lambda: Torch(inner), requires="torch"),
            SystemCase(AUTOGRAD, lambda: Autograd(inner), requires="autograd", note="no grads to clear"),
            SystemCase(JAX, lambda: Jax(inner), requires="jax", note="jax.jit; no grads to clear"),
            SystemCase(NUMPY, lambda: Numpy(inner)),
        ])]
