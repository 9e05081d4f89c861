"""Activation functions a[·] of chapter 3 (eq. 3.2, fig. 3.13, Notes, P3.8): functions and modules.

Derivatives at kinks follow docs/conventions.md ("Kinks"): ReLU′(0) = 0, leaky ReLU′(0) = slope (as PyTorch);
heaviside(0) = 1 and rect is 1 on the closed interval [0, 1] (eq. 3.15). Heaviside and rect are
flat almost everywhere, so their gradient is 0 (no learning signal, P3.8).
The leaky ReLU slope has no default: the book uses 0.1 (Notes, eq. 16.31) and 0.25 (fig. 3.13b),
PyTorch 0.01, so the caller says which.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.rules import primitive
from ..autograd.tensor import apply, concatenate, tensor, where
from .module import Module, Parameter, default_float_dtype

# ---- step functions of P3.8 (eq. 3.15): primitives whose derivative is 0 wherever it exists --------

def _away_from_jumps(rng):  # the jumps are at 0 and 1
    return [rng.choice([-1.5, -0.5, 0.5, 1.5], (3, 4)) + rng.uniform(-0.2, 0.2, (3, 4))], {}


HEAVISIDE = primitive("heaviside", lambda o, x: (x >= 0).astype(x.dtype),
                      lambda o, g, out, x: g * 0, sample=_away_from_jumps)
RECT = primitive("rect", lambda o, x: ((x >= 0) & (x <= 1)).astype(x.dtype),
                 lambda o, g, out, x: g * 0, sample=_away_from_jumps)


def heaviside(x):
    """1 for z ≥ 0, else 0 (eq. 3.15); gradient 0."""
    return apply(HEAVISIDE, tensor(x))


def rect(x):
    """1 for 0 ≤ z ≤ 1, else 0 (eq. 3.15); gradient 0."""
    return apply(RECT, tensor(x))


# ---- functional forms ---------------------------------------------------------------------------------


def relu(x):
    """max(0, z) (eq. 3.2); derivative 0 at z = 0."""
    return tensor(x).relu()


def leaky_relu(x, negative_slope):
    """z for z > 0, negative_slope·z otherwise (eq. 7.41). The slope is required (0.1 in the book's
    Notes and eq. 16.31, 0.25 in fig. 3.13b, 0.01 in PyTorch)."""
    return tensor(x).leaky_relu(negative_slope)


def prelu(x, weight):
    """Leaky ReLU with a learned slope (He et al. 2015; ch. 3 Notes). `weight` has one slope, or one
    per channel (axis 1, as PyTorch)."""
    x = tensor(x)
    if weight.size > 1 and x.ndim > 2:
        weight = weight.reshape((-1,) + (1,) * (x.ndim - 2))
    return where(x > 0, x, x * weight)


def crelu(x, axis=1):
    """Concatenated ReLU [ReLU(z), ReLU(−z)] (Shang et al. 2016; ch. 3 Notes): doubles `axis`."""
    x = tensor(x)
    return concatenate([x.relu(), (-x).relu()], axis=axis)


def elu(x, alpha=1.0):
    """z for z > 0, α(e^z − 1) otherwise (fig. 3.13d draws α = 0.5 and 1)."""
    return tensor(x).elu(alpha)


def selu(x):
    """λ·ELU_α(z) with λ ≈ 1.0507, α ≈ 1.6733 (Klambauer et al. 2017; fig. 3.13e)."""
    return tensor(x).selu()


def gelu(x, approximate="none"):
    """z·Φ(z), exact via erf (`approximate='none'`) or with PyTorch's tanh approximation ('tanh')."""
    x = tensor(x)
    if approximate == "none":
        return x.gelu()
    if approximate == "tanh":
        return 0.5 * x * (1 + ((x + 0.044715 * x * x * x) * math.sqrt(2 / math.pi)).tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    """z·sig(z) (fig. 3.13c); Swish with β = 1."""
    return tensor(x).silu()


def swish(x, beta=1.0):
    """z / (1 + exp(−βz)) = z·sig(βz) (Ramachandran et al.; fig. 3.13f uses β ∈ {0.4, 1.0, 1.4})."""
    x = tensor(x)
    return x * (x * beta).sigmoid()


def hardswish(x):
    """0 for z < −3, z(z + 3)/6 on [−3, 3], z for z > 3 (Howard et al. 2019; ch. 3 Notes)."""
    x = tensor(x)
    return x * ((x + 3).clip(0, 6) * (1 / 6))


def softplus(x, beta=1.0):
    """log(1 + e^{βz})/β, computed stably (max(u, 0) + log1p(e^{−|u|}))."""
    x = tensor(x)
    return x.softplus() if beta == 1 else (x * beta).softplus() * (1 / beta)


def sigmoid(x):
    """1/(1 + e^{−z}) (eq. 5.18), two-branch stable."""
    return tensor(x).sigmoid()


def tanh(x):
    return tensor(x).tanh()


def softmax(x, axis=-1):
    """e^{z_k}/Σ e^{z_k′} along `axis` (eq. 5.22), shifted by the maximum."""
    return tensor(x).softmax(axis)


def log_softmax(x, axis=-1):
    """z_k − logsumexp(z) along `axis` (eq. 5.24): finite for logits of ±1e4."""
    return tensor(x).log_softmax(axis)


# ---- modules ------------------------------------------------------------------------------------------


class _Elementwise(Module):
    """An activation without parameters: `forward` applies `fn` with the module's settings."""

    fn = None
    settings = ()

    def forward(self, x):
        return type(self).fn(x, **{name: getattr(self, name) for name in self.settings})

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self.settings)


def _activation(name, fn, doc, **defaults):
    def __init__(self, **settings):
        Module.__init__(self)
        unknown = set(settings) - set(defaults)
        if unknown:
            raise TypeError(f"{name}: unknown argument(s) {', '.join(sorted(unknown))}")
        for key, default in defaults.items():
            setattr(self, key, settings.get(key, default))

    return type(name, (_Elementwise,), {"fn": staticmethod(fn), "settings": tuple(defaults), "__init__": __init__,
                                        "__doc__": doc, "__module__": __name__})


ReLU = _activation("ReLU", relu, "ReLU[z] = max(0, z) (eq. 3.2).")
ELU = _activation("ELU", elu, "ELU(alpha=1.0) (fig. 3.13d).", alpha=1.0)
SELU = _activation("SELU", selu, "SELU (fig. 3.13e).")
GELU = _activation("GELU", gelu, "GELU(approximate='none' | 'tanh') (fig. 3.13c).", approximate="none")
SiLU = _activation("SiLU", silu, "SiLU z·sig(z) (fig. 3.13c).")
HardSwish = _activation("HardSwish", hardswish, "HardSwish (ch. 3 Notes).")
Softplus = _activation("Softplus", softplus, "Softplus(beta=1.0): log(1 + e^{βz})/β (fig. 3.13c).", beta=1.0)
Sigmoid = _activation("Sigmoid", sigmoid, "Logistic sigmoid (eq. 5.18, fig. 3.13a).")
Tanh = _activation("Tanh", tanh, "Hyperbolic tangent (fig. 3.13a).")
Heaviside = _activation("Heaviside", heaviside, "Heaviside step (eq. 3.15, P3.8); gradient 0.")
Rect = _activation("Rect", rect, "Rectangular function (eq. 3.15, P3.8); gradient 0.")
Sin = _activation("Sin", lambda x: tensor(x).sin(), "sin[z] as an activation (P3.8).")
CReLU = _activation("CReLU", crelu, "Concatenated ReLU along `axis` (default 1, the feature/channel axis).", axis=1)
Softmax = _activation("Softmax", softmax, "Softmax(axis=-1) (eq. 5.22).", axis=-1)
LogSoftmax = _activation("LogSoftmax", log_softmax, "LogSoftmax(axis=-1) (eq. 5.24).", axis=-1)


class LeakyReLU(_Elementwise):
    """`LeakyReLU(negative_slope)`: the slope is required (the book: 0.1 or 0.25; PyTorch: 0.01)."""

    fn = staticmethod(leaky_relu)
    settings = ("negative_slope",)

    def __init__(self, negative_slope):
        super().__init__()
        self.negative_slope = float(negative_slope)


class PReLU(Module):
    """`PReLU(num_parameters=1, init=0.25)`: leaky ReLU whose slope is learned (one per channel when
    num_parameters = C). Fig. 3.13b draws it with 0.25, PyTorch's initial value."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        self.weight = Parameter(np.full(int(num_parameters), init, default_float_dtype(dtype)))

    def forward(self, x):
        return prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.weight.size}"


class Swish(Module):
    """`Swish(beta=1.0, learnable=True)`: z·sig(βz) with β learned, as Ramachandran et al. define it
    (ch. 3 Notes); `learnable=False` keeps β fixed (fig. 3.13f's β ∈ {0.4, 1.0, 1.4})."""

    def __init__(self, beta=1.0, learnable=True, dtype=None):
        super().__init__()
        self.beta = Parameter(np.asarray(beta, default_float_dtype(dtype))) if learnable else float(beta)

    def forward(self, x):
        return swish(x, self.beta)

    def extra_repr(self):
        return f"learnable={isinstance(self.beta, Parameter)}"
