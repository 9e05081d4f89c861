"""Helpers shared by the optimizer tests: parameters, read-only gradients, Hypothesis strategies."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_udl import Tensor


def param(array, dtype=np.float64):
    return Tensor(np.array(array, dtype=dtype), requires_grad=True)


def set_grad(p, g):
    """Give `p` the gradient `g` as the engine does: a read-only array (so an optimizer that wrote
    into it would raise)."""
    grad = Tensor(np.array(g, dtype=p.dtype))
    grad.data.flags.writeable = False
    p.grad = grad


def run(optimizer, p, grads):
    """Feed a gradient sequence to a one-parameter optimizer; return the parameter after each step."""
    path = []
    for g in grads:
        set_grad(p, g)
        optimizer.step()
        path.append(p.data.copy())
    return path


@st.composite
def start_and_grads(draw, max_steps=6):
    """(φ₀, [g₀, g₁, ...]): a start point and a gradient sequence of the same shape."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
    steps = draw(st.integers(1, max_steps))
    values = st.floats(-50, 50, allow_nan=False, allow_subnormal=False)
    phi0 = draw(hnp.arrays(np.float64, shape, elements=values))
    grads = draw(hnp.arrays(np.float64, (steps,) + shape, elements=values))
    return phi0, list(grads)


unit_interval = st.floats(0.0, 0.99)
learning_rates = st.floats(1e-4, 1.0)
