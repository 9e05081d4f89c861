"""Sample inputs for every primitive, for the op sweep (`tinygrad-udl gradcheck --ops`).

One entry per primitive name of `rules.PRIMITIVES`: a function rng -> (arrays, params) giving
float64 inputs inside the primitive's domain and away from its kinks (ReLU and |x| away from 0,
max/min without ties, logs of positive numbers), and its non-differentiable parameters. Shapes are
chosen to exercise broadcasting (binary ops) and axes (reductions).

Modules that register primitives of their own (e.g. nn's convolution) add entries with the
decorator, next to the primitive:

    from tinygrad_udl.gradcheck.samples import op_sample

    @op_sample("im2col")
    def _(rng):
        return [rng.standard_normal((2, 3, 5, 5))], {"kernel": 3, "stride": 1}
"""
from __future__ import annotations

import numpy as np

SAMPLES: dict = {}


def op_sample(name):
    """Register the sample-input function of primitive `name` (replaces an earlier entry)."""
    def register(make):
        SAMPLES[name] = make
        return make
    return register


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _away_from_zero(rng, *shape, low=0.2):
    """Values of both signs with |x| >= low: no kink of relu/abs/sign within a step."""
    return rng.uniform(low, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _positive(rng, *shape, low=0.5, high=2.0):
    return rng.uniform(low, high, shape)


def _distinct(rng, *shape):
    """Normal values with no two elements close: max/min have a unique winner."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 + rng.uniform(-0.1, 0.1, n)).reshape(shape) / max(n, 1)


# Binary ops get a (3, 4) and a (4,) operand: the gradient of the second is summed over rows.
for _name in ("add", "sub", "mul"):
    SAMPLES[_name] = lambda rng: ([_normal(rng, 3, 4), _normal(rng, 4)], {})


@op_sample("div")
def _(rng):
    return [_normal(rng, 3, 4), _away_from_zero(rng, 4, low=0.5)], {}


@op_sample("maximum")
@op_sample("minimum")
def _(rng):
    x = _normal(rng, 3, 4)
    gap = _away_from_zero(rng, 3, 4, low=0.1)
    return [x, x + gap], {}


@op_sample("pow")
def _(rng):
    return [_positive(rng, 3, 4), _normal(rng, 4)], {}


@op_sample("pow_const")
def _(rng):
    return [_positive(rng, 3, 4)], {"c": 2.5}


for _name in ("neg", "exp", "sin", "cos", "tanh", "sigmoid", "softplus", "erf"):
    SAMPLES[_name] = lambda rng: ([_normal(rng, 3, 4)], {})
for _name in ("log", "sqrt"):
    SAMPLES[_name] = lambda rng: ([_positive(rng, 3, 4)], {})
for _name in ("relu", "abs"):
    SAMPLES[_name] = lambda rng: ([_away_from_zero(rng, 3, 4)], {})


@op_sample("log1p")
def _(rng):
    return [rng.uniform(-0.5, 2.0, (3, 4))], {}


@op_sample("tan")
def _(rng):
    return [rng.uniform(-1.2, 1.2, (3, 4))], {}


@op_sample("leaky_relu")
def _(rng):
    return [_away_from_zero(rng, 3, 4)], {"slope": 0.1}


@op_sample("elu")
def _(rng):
    return [_away_from_zero(rng, 3, 4)], {"alpha": 1.3}


@op_sample("where")
def _(rng):
    return [_normal(rng, 3, 4), _normal(rng, 4)], {"cond": rng.random((3, 4)) < 0.5}


@op_sample("sum")
def _(rng):
    return [_normal(rng, 2, 3, 4)], {"axis": (0, 2), "keepdims": False}


@op_sample("max")
@op_sample("min")
def _(rng):
    return [_distinct(rng, 3, 4)], {"axis": 1, "keepdims": True}


@op_sample("logsumexp")
def _(rng):
    return [_normal(rng, 3, 4)], {"axis": 1, "keepdims": False}


@op_sample("softmax")
@op_sample("log_softmax")
def _(rng):
    return [_normal(rng, 3, 4)], {"axis": 1}


@op_sample("reshape")
def _(rng):
    return [_normal(rng, 3, 4)], {"shape": (2, 6)}


@op_sample("transpose")
def _(rng):
    return [_normal(rng, 2, 3, 4)], {"axes": (2, 0, 1)}


@op_sample("broadcast_to")
def _(rng):
    return [_normal(rng, 3, 1)], {"shape": (2, 3, 4)}


@op_sample("getitem")
def _(rng):
    return [_normal(rng, 4, 3)], {"index": (np.array([0, 2, 2, 3]), slice(None, 2))}  # repeats accumulate


@op_sample("scatter_add")
def _(rng):
    return [_normal(rng, 4, 2)], {"index": (np.array([0, 2, 2, 3]), slice(None, 2)), "shape": (4, 3)}


@op_sample("concatenate")
def _(rng):
    return [_normal(rng, 2, 3), _normal(rng, 2, 1), _normal(rng, 2, 2)], {"axis": 1}


@op_sample("pad")
def _(rng):
    return [_normal(rng, 2, 3)], {"pad_width": ((1, 0), (2, 1)), "value": 0.5}


@op_sample("matmul")
def _(rng):
    return [_normal(rng, 2, 3, 4), _normal(rng, 4, 5)], {}  # batch broadcasting


@op_sample("einsum")
def _(rng):
    return [_normal(rng, 2, 3), _normal(rng, 3, 4), _normal(rng, 4)], {"subscripts": "ij,jk,k->i"}
