"""A compiled training step allocates no arrays after its first replay (tracemalloc).

Eager mode allocates every activation and gradient anew at each step; a compiled replay writes them
into the program's buffers, and a fused SGD step updates in place. What tracemalloc still sees is
numpy's own iteration buffer for broadcasting and casting loops (8,192 elements, freed inside the
ufunc call) and a few small Python objects (the `.grad` wrappers, the loss as a float).
"""
import tracemalloc

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn, optim
from tinygrad_udl.compile import compile
from compile_runs import classifier_step

NUMPY_ITERATION_BUFFER = 8192 * 8   # bytes, float64


def _peak_of_one_step(step, x, y):
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step(x, y)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_compiled_step_allocates_no_arrays(momentum):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=momentum)

    step = classifier_step(model, opt)

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((128, 256)).astype(np.float32), rng.integers(0, 10, 128)
    for _ in range(2):
        step(x, y)
    eager = _peak_of_one_step(step, x, y)
    compiled = compile(step)
    for _ in range(4):   # two traces, then replays
        compiled(x, y)
    replay = _peak_of_one_step(compiled, x, y)
    activations = 128 * (512 + 512) * 4   # two hidden layers of float32, forward only
    assert eager > activations
    assert replay < NUMPY_ITERATION_BUFFER, f"a replay allocated {replay} bytes (eager: {eager})"
