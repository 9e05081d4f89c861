"""W3: MNIST-1D MLP 40-100-100-10 (ReLU, He init), mean cross-entropy, SGD lr 0.05 momentum 0.9, batch 100.

MNIST-1D (chapter 8, figs. 8.1-8.2): 4,000 training and 1,000 test signals of length 40 from the
reference generator (seed 42). One timed step is one epoch of 40 shuffled mini-batches; the first
epoch is the warm-up, the others are timed, and the test accuracy is read after all of them
(10 epochs; 2 with --quick). Every system trains from the same initial weights on the same batch
order, so the accuracies agree up to float32 rounding.
"""
from __future__ import annotations

import functools

from .classifier import (AutogradTrainer, EpochCase, JaxTrainer, NumpyTrainer, OursCompiled, OursNN, OursRaw,
                         TorchTrainer, initial_parameters)
from .harness import AUTOGRAD, JAX, NUMPY, OURS, TORCH, SystemCase, Workload

ARCH = (("linear", 40, 100), ("relu",), ("linear", 100, 100), ("relu",), ("linear", 100, 10))
LR, MOMENTUM, BATCH = 0.05, 0.9, 100


@functools.cache
def mnist1d(channels=False):
    """(x_train, y_train, x_test, y_test) as writable float32 / int64 arrays; (N, 1, 40) if `channels`."""
    import numpy as np

    from tinygrad_udl.data import load_mnist1d

    d = load_mnist1d(seed=42)
    shape = (-1, 1, 40) if channels else (-1, 40)
    return (np.array(d.x_train, np.float32).reshape(shape), np.array(d.y_train, np.int64),
            np.array(d.x_test, np.float32).reshape(shape), np.array(d.y_test, np.int64))


def epoch_cases(arch, channels, trainers):
    """SystemCases training `arch` on MNIST-1D, one per (name, trainer class, requires, note)."""
    def make(trainer_cls):
        return lambda: EpochCase(trainer_cls(arch, initial_parameters(arch), LR, MOMENTUM), mnist1d(channels), BATCH)

    return [SystemCase(name, make(cls), requires=requires, note=note) for name, cls, requires, note in trainers]


def workloads(quick):
    epochs = 2 if quick else 10
    return [Workload(
        key="W3", title=f"MNIST-1D MLP 40-100-100-10, SGD lr {LR} momentum {MOMENTUM}, batch {BATCH}, "
                        f"4000 examples (float32)",
        unit="s/epoch", unit_scale=1.0, repeats=epochs - 1, warmup=1, fixed_repeats=True, memory_steps=0,
        check_rtol=1e-5, prepare=mnist1d,
        cases=epoch_cases(ARCH, False, [
            (OURS, OursNN, None, "nn.Linear + F.cross_entropy + optim.SGD"),
            (f"{OURS} raw", OursRaw, None, "Tensor ops + numpy momentum"),
            (f"{OURS} compiled", OursCompiled, None, "the nn + optim step through tinygrad_udl.compile"),
            (TORCH, TorchTrainer, "torch", ""),
            (AUTOGRAD, AutogradTrainer, "autograd", ""),
            (JAX, JaxTrainer, "jax", "jax.jit"),
            (NUMPY, NumpyTrainer, None, ""),
        ]),
        notes=[f"epoch 1 is the warm-up; the median is over epochs 2-{epochs}"])]
