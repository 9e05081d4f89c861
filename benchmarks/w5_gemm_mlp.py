"""W5: a GEMM-bound MLP 512-1024-1024-10 (ReLU), batch 512, mean cross-entropy, plain SGD, float32.

Three matrix products per layer and step (forward, weight gradient, input gradient; the first
layer needs no input gradient) make nearly all of the work, so a system's time should approach
the matmul time: the notes give the achieved GFLOP/s and its fraction of numpy's own float32
1024 x 1024 matmul on this machine, timed as one more row in the same alternation (so that it
sees the same machine state). One step = forward, backward and the SGD update on the same random
batch (seeded). Peak memory is measured here even with --quick (target:
tinygrad_udl's training peak within 1.3x PyTorch's).
"""
from __future__ import annotations

import functools

from .classifier import (
    AutogradTrainer,
    FixedBatchCase,
    JaxTrainer,
    NumpyTrainer,
    OursCompiled,
    OursNN,
    OursRaw,
    TorchTrainer,
    forward_flops,
    initial_parameters,
)
from .harness import AUTOGRAD, JAX, NUMPY, OURS, TORCH, Case, SystemCase, Workload

ARCH = (("linear", 512, 1024), ("relu",), ("linear", 1024, 1024), ("relu",), ("linear", 1024, 10))
BATCH, LR = 512, 0.01
# Steps per timed sample, back to back: a single ~20 ms step right after the harness's settle pause
# would also time waking the BLAS threads and warming the caches.
STEPS_PER_SAMPLE = 5


@functools.cache
def batch():
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, ARCH[0][1]), dtype=np.float32), rng.integers(0, 10, BATCH)


def step_flops():
    """Forward products, then two per layer backward, less the first layer's input gradient."""
    first = 2 * BATCH * ARCH[0][1] * ARCH[0][2]
    return 3 * forward_flops(ARCH, BATCH) - first


MATMUL_N = 1024
MATMUL = f"numpy matmul {MATMUL_N}^3"


class Matmul(Case):
    """numpy's float32 1024 x 1024 @ 1024 x 1024: the GEMM rate this machine gives numpy."""

    def __init__(self):
        import numpy as np

        rng = np.random.default_rng(1)
        self.a, self.b = (rng.standard_normal((MATMUL_N, MATMUL_N), dtype=np.float32) for _ in range(2))

    def step(self):
        for _ in range(STEPS_PER_SAMPLE):
            self.a @ self.b


def workloads(quick):
    def make(cls):
        return lambda: FixedBatchCase(cls(ARCH, initial_parameters(ARCH), LR, 0.0), *batch(), steps=STEPS_PER_SAMPLE)

    return [Workload(
        key="W5", title=f"GEMM-bound MLP 512-1024-1024-10, batch {BATCH}, SGD lr {LR}, one step (float32)",
        unit="ms/step", unit_scale=1e3, repeats=5 if quick else 15, warmup=2, memory_steps=2, inner=STEPS_PER_SAMPLE,
        check_rtol=1e-5, flops=step_flops(), gflops_reference=MATMUL, prepare=batch, memory_in_quick=True,
        baselines=(TORCH, NUMPY),
        cases=[SystemCase(name, make(cls), requires=requires, note=note) for name, cls, requires, note in [
            (OURS, OursNN, None, "nn + optim"),
            (f"{OURS} raw", OursRaw, None, "Tensor ops"),
            (f"{OURS} compiled", OursCompiled, None, "nn + optim through tinygrad_udl.compile"),
            (TORCH, TorchTrainer, "torch", ""),
            (AUTOGRAD, AutogradTrainer, "autograd", ""),
            (JAX, JaxTrainer, "jax", "jax.jit"),
            (NUMPY, NumpyTrainer, None, "the floor"),
        ]] + [SystemCase(MATMUL, Matmul, flops=2 * MATMUL_N**3, measure_memory=False, note="the GEMM reference (not a training step)")],
        notes=["targets: tinygrad_udl <= 1.4x pytorch, within 5% of numpy (hand), peak memory <= 1.3x pytorch's"])]
