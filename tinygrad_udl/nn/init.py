"""Parameter initialisation (section 7.5; docs/conventions.md, "Initialisation").

Through a ReLU layer the pre-activation variance changes by a factor ½·D_h·σ²_Ω (eqs. 7.26-7.29),
so weights drawn with variance σ²_Ω = 2/D_h keep the forward pass stable (He, eq. 7.30), 2/D_h′
keeps the backward pass stable (eq. 7.31), and 4/(D_h + D_h′) is the compromise (eq. 7.32 in the
final print; the draft's 1/(D_h + D_h′) is an erratum). Biases start at 0.

Every function fills `tensor.data` in place (outside the graph), returns the tensor, and draws
from `rng` (a numpy Generator or an int seed; default: the library's generator, `manual_seed`).
Fans come from the shape as in PyTorch: a weight (out, in, *kernel) has fan_in = in·prod(kernel)
and fan_out = out·prod(kernel), so a convolution's fan-in is C_in·K (C_in·K² in 2-D).

`gain` scales the standard deviation: √2 for ReLU (the default of the He functions), 1 for linear
or tanh-free layers (Glorot, LeCun); `calculate_gain` gives PyTorch's values.
"""
from __future__ import annotations

import math


from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor
from ..checks import as_generator

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
          "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 0.75}


def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gain for an activation: √2 for 'relu', √(2/(1+α²)) for 'leaky_relu'
    with slope α (required: the book uses 0.1 and 0.25, PyTorch 0.01), 5/3 for 'tanh', 1 for 'linear'."""
    if nonlinearity == "leaky_relu":
        if param is None:
            raise ValueError("calculate_gain('leaky_relu', slope): give the negative slope (the book uses 0.1 or 0.25)")
        return math.sqrt(2.0 / (1.0 + param ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; one of {', '.join(sorted(_GAINS))}, leaky_relu")
    return _GAINS[nonlinearity]


def fan_in_and_fan_out(shape):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): (in·K, out·K), K = prod(kernel)."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"init: fan-in and fan-out need a weight with at least 2 dimensions (out, in, ...), "
                         f"got shape {shape}; biases are initialised with zeros_ or constant_")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive



def _fill(tensor, values):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor or Parameter, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"init: the tensor has dtype {tensor.dtype}; only floating-point tensors are initialised")
    with no_grad():
        tensor.data[...] = values
    tensor._bump_version()
    return tensor


def _fan(tensor, mode):
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"init: mode must be 'fan_in' (forward pass, eq. 7.30) or 'fan_out' (backward, eq. 7.31), got {mode!r}")


def _normal_std(tensor, std, rng):
    return _fill(tensor, as_generator(rng, "init").normal(0.0, std, tensor.shape))


def _uniform_std(tensor, std, rng):
    bound = math.sqrt(3.0) * std  # U(-a, a) has variance a²/3
    return _fill(tensor, as_generator(rng, "init").uniform(-bound, bound, tensor.shape))


# ---- plain distributions ----------------------------------------------------------------------------


def zeros_(tensor):
    """Fill with 0 (the book's biases, section 7.5)."""
    return _fill(tensor, 0.0)


def ones_(tensor):
    return _fill(tensor, 1.0)


def constant_(tensor, value):
    return _fill(tensor, value)


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    """N(mean, std²) entries (fig. 7.7 sweeps σ²_Ω ∈ {0.001, ..., 1.0}: pass std=√σ²)."""
    return _fill(tensor, as_generator(rng, "init").normal(mean, std, tensor.shape))


def uniform_(tensor, low=0.0, high=1.0, rng=None):
    return _fill(tensor, as_generator(rng, "init").uniform(low, high, tensor.shape))


# ---- variance-scaling rules of section 7.5 ----------------------------------------------------------


def he_normal_(tensor, mode="fan_in", gain=math.sqrt(2.0), rng=None):
    """N(0, gain²/fan): with the ReLU gain √2, σ²_Ω = 2/D_h (fan_in, eq. 7.30) or 2/D_h′ (fan_out, eq. 7.31)."""
    return _normal_std(tensor, gain / math.sqrt(_fan(tensor, mode)), rng)


def he_uniform_(tensor, mode="fan_in", gain=math.sqrt(2.0), rng=None):
    """U(−a, a) with the He variance: a = √(6/fan) for ReLU -- the init of the book's fig. 7.8 code."""
    return _uniform_std(tensor, gain / math.sqrt(_fan(tensor, mode)), rng)


def _mean_fan_std(tensor, gain):
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def he_compromise_(tensor, gain=math.sqrt(2.0), distribution="normal", rng=None):
    """σ²_Ω = 4/(D_h + D_h′) (eq. 7.32, final print), the compromise between eqs. 7.30 and 7.31.

    `distribution` is 'normal' or 'uniform' (same variance). It is Glorot's rule with the ReLU gain.
    """
    std = _mean_fan_std(tensor, gain)
    if distribution == "normal":
        return _normal_std(tensor, std, rng)
    if distribution == "uniform":
        return _uniform_std(tensor, std, rng)
    raise ValueError(f"he_compromise_: distribution must be 'normal' or 'uniform', got {distribution!r}")


def glorot_normal_(tensor, gain=1.0, rng=None):
    """Glorot/Xavier: N(0, 2/(fan_in + fan_out)) (ch. 7 Notes; standard, not in the book)."""
    return _normal_std(tensor, _mean_fan_std(tensor, gain), rng)


def glorot_uniform_(tensor, gain=1.0, rng=None):
    """Glorot/Xavier uniform: U(−a, a), a = √(6/(fan_in + fan_out))."""
    return _uniform_std(tensor, _mean_fan_std(tensor, gain), rng)


def lecun_normal_(tensor, gain=1.0, rng=None):
    """LeCun: N(0, 1/fan_in) (ch. 7 Notes; the init SELU networks assume)."""
    return _normal_std(tensor, gain / math.sqrt(_fan(tensor, "fan_in")), rng)


def lecun_uniform_(tensor, gain=1.0, rng=None):
    return _uniform_std(tensor, gain / math.sqrt(_fan(tensor, "fan_in")), rng)


# PyTorch's names for the Glorot rules (same signature; PyTorch's kaiming_* take a slope `a`
# instead of a gain, so they are not aliased: use he_*_(..., gain=calculate_gain(...))).
xavier_normal_ = glorot_normal_
xavier_uniform_ = glorot_uniform_
