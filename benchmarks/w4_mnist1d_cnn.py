"""W4: the MNIST-1D CNN of figs. 10.7-10.8, same training set-up as W3: seconds per epoch.

Conv1d(1->15, kernel 3, stride 2) + ReLU -> Conv1d(15->15, 3, 2) + ReLU -> Conv1d(15->15, 3, 2) + ReLU
-> Flatten -> Linear(60->10): 2,050 parameters. Valid convolutions (padding 0) give the 60 features
of the figure: 40 -> 19 -> 9 -> 4 positions, 4 x 15 = 60 (padding 1 would give 20, 10, 5 and 75).
The hand-written numpy floor and HIPS autograd compute the convolutions by im2col and one matmul;
JAX uses XLA's convolution (`lax.conv_general_dilated`), which was faster here than an im2col in JAX.
"""
from __future__ import annotations

from .classifier import (AutogradTrainer, JaxTrainer, NumpyTrainer, OursCompiled, OursNN, TorchTrainer,
                         conv_output_length)
from .harness import AUTOGRAD, JAX, NUMPY, OURS, TORCH, Workload
from .w3_mnist1d_mlp import BATCH, LR, MOMENTUM, epoch_cases, mnist1d

CHANNELS, KERNEL, STRIDE, LENGTH = 15, 3, 2, 40


def _features():
    length = LENGTH
    for _ in range(3):
        length = conv_output_length(length, KERNEL, STRIDE)
    return CHANNELS * length


ARCH = (("conv1d", 1, CHANNELS, KERNEL, STRIDE), ("relu",),
        ("conv1d", CHANNELS, CHANNELS, KERNEL, STRIDE), ("relu",),
        ("conv1d", CHANNELS, CHANNELS, KERNEL, STRIDE), ("relu",),
        ("flatten",), ("linear", _features(), 10))


def workloads(quick):
    epochs = 2 if quick else 10
    return [Workload(
        key="W4", title=f"MNIST-1D CNN of fig. 10.7 (3 x Conv1d 15ch k3 s2 valid, Linear 60->10), SGD lr {LR} "
                        f"momentum {MOMENTUM}, batch {BATCH} (float32)",
        unit="s/epoch", unit_scale=1.0, repeats=epochs - 1, warmup=1, fixed_repeats=True, memory_steps=0,
        check_rtol=1e-5, prepare=lambda: mnist1d(channels=True),
        cases=epoch_cases(ARCH, True, [
            (OURS, OursNN, None, "nn.Conv1d (im2col) + nn.Linear + optim.SGD"),
            (f"{OURS} compiled", OursCompiled, None, "the same step through tinygrad_udl.compile"),
            (TORCH, TorchTrainer, "torch", ""),
            (AUTOGRAD, AutogradTrainer, "autograd", "im2col by indexing"),
            (JAX, JaxTrainer, "jax", "jax.jit; lax.conv_general_dilated"),
            (NUMPY, NumpyTrainer, None, "im2col by sliding_window_view"),
        ]),
        notes=[f"epoch 1 is the warm-up; the median is over epochs 2-{epochs}"])]
