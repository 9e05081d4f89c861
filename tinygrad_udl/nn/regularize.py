"""Explicit and heuristic regularisers of chapter 9.

- Penalties (eqs. 9.1-9.5): minimise Σ_i ℓ_i + λ·g[φ]. `l2_penalty` is Σ φ_j² (Tikhonov / ridge,
  eq. 9.5; it adds 2λφ_j to the gradient), `l1_penalty` is Σ |φ_j| (ch. 9 Notes). The book applies
  them to **weights, not biases**: `weight_parameters(model)` selects them, and
  `parameter_groups(model, weight_decay)` builds optimizer groups that exempt biases and
  normalisation scales (docs/conventions.md, "Weight decay vs L2").
- The implicit regulariser of gradient descent, (α/4)‖∂L/∂φ‖² (eq. 9.8), as an explicit term.
- Noise (section 9.3.4): `add_input_noise` for each batch; `add_weight_noise` perturbs the weights
  for one forward/backward pass and restores them.
- Early stopping (section 9.3.1): `EarlyStopping` keeps the best checkpoint seen on validation data.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.functional import grad
from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor, tensor
from ..checks import as_generator
from ..compile.recorder import drawn
from .module import Module


def _parameter_list(params, op):
    params = list(params.parameters() if isinstance(params, Module) else params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors or Parameters (or a Module), got {type(p).__name__}")
    if not params:
        raise ValueError(f"{op}: no parameters given")
    return params


# ---- which parameters are regularised --------------------------------------------------------------------


def is_weight(name, param):
    """Whether a parameter is a weight matrix / kernel that L2 and weight decay apply to.

    Biases and the 1-D scales and shifts of normalisation layers (and PReLU slopes) are exempt:
    they have fewer than 2 dimensions or a name ending in 'bias'. (The common rule of thumb of
    PyTorch training scripts; section 9.1 says L2 is "usually applied to weights, not biases".)
    """
    return param.ndim >= 2 and not name.rsplit(".", 1)[-1].startswith("bias")


def weight_parameters(model, predicate=is_weight):
    """The parameters of `model` that `predicate(name, param)` selects (default: weights only)."""
    return [p for name, p in model.named_parameters() if predicate(name, p)]


def parameter_groups(model, weight_decay, predicate=is_weight):
    """Optimizer groups `[{'params': weights, 'weight_decay': wd}, {'params': others, 'weight_decay': 0}]`
    (empty groups are left out), e.g. `optim.AdamW(parameter_groups(model, 0.01), lr=1e-3)`."""
    decay, rest = [], []
    for name, p in model.named_parameters():
        (decay if predicate(name, p) else rest).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


# ---- penalties -----------------------------------------------------------------------------------------


def l2_penalty(params):
    """Σ_j φ_j² over `params` (eq. 9.5, without λ): add `lam * l2_penalty(weight_parameters(model))`."""
    return sum(((p * p).sum() for p in _parameter_list(params, "l2_penalty")), start=tensor(0.0))


def l1_penalty(params):
    """Σ_j |φ_j| over `params` (ch. 9 Notes; |0|′ = 0); elastic net is λ₁·l1 + λ₂·l2."""
    return sum((p.abs().sum() for p in _parameter_list(params, "l1_penalty")), start=tensor(0.0))


def gradient_norm_penalty(loss, params, lr):
    """(α/4)‖∂L/∂φ‖², the implicit regulariser of gradient descent with step α (eqs. 9.8, 9.14-9.20).

    Differentiable (second-order: the gradient is kept with its graph), so minimising
    `loss + gradient_norm_penalty(loss, params, lr)` by gradient flow follows discrete GD (fig. 9.3).
    """
    params = _parameter_list(params, "gradient_norm_penalty")
    grads = grad(loss, params, create_graph=True, allow_unused=True)
    return (lr / 4.0) * sum(((g * g).sum() for g in grads if g is not None), start=tensor(0.0))


# ---- noise -----------------------------------------------------------------------------------------------


def add_input_noise(x, std, rng=None):
    """x + N(0, std²) noise, drawn afresh at every call (section 9.3.4, fig. 9.10). The noise is a
    constant of the graph (a recorded draw: a compiled step draws it anew at every replay); `x`
    may be an array or a Tensor."""
    if std < 0:
        raise ValueError(f"add_input_noise: std must be >= 0, got {std}")
    x = tensor(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return x + drawn(_normal_noise, as_generator(rng, "add_input_noise"), std, x.shape, dtype)


def _normal_noise(rng, std, shape, dtype):
    return rng.normal(0.0, std, shape).astype(dtype)


class WeightNoise:
    """Weights perturbed by N(0, std²) noise until `restore()` (or the end of a `with` block).

        with add_weight_noise(model, 0.01, rng=rng):
            loss = loss_fn(model(x), y)
            loss.backward()          # gradient at the perturbed weights
        optimizer.step()             # applied to the clean weights
    """

    def __init__(self, params, std, rng):
        if std < 0:
            raise ValueError(f"add_weight_noise: std must be >= 0, got {std}")
        self._saved = []
        generator = as_generator(rng, "add_weight_noise")
        with no_grad():
            for p in params:
                self._saved.append((p, p.data.copy()))
                p.data[...] = p.data + generator.normal(0.0, std, p.shape).astype(p.dtype)
                p._bump_version()

    def restore(self):
        """Put the original weights back (idempotent)."""
        with no_grad():
            for p, original in self._saved:
                p.data[...] = original
                p._bump_version()
        self._saved = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False


def add_weight_noise(params, std, rng=None):
    """Perturb `params` (a list or a Module's parameters) in place; returns a `WeightNoise` handle."""
    return WeightNoise(_parameter_list(params, "add_weight_noise"), std, rng)


# ---- early stopping --------------------------------------------------------------------------------------


class EarlyStopping:
    """Stop when the validation metric has not improved for `patience` checks (section 9.3.1).

    `step(value, model=None)` records one validation result and returns True when training should
    stop. An improvement means beating the best value by more than `min_delta` (lower is better
    with `mode="min"`, e.g. a loss; higher with `mode="max"`, e.g. accuracy). Given the model, the
    best checkpoint is kept (a state-dict copy) and `restore_best(model)` loads it back.
    """

    def __init__(self, patience=10, min_delta=0.0, mode="min"):
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive integer, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, float(min_delta), mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_step = None
        self.best_state = None
        self.num_checks = 0
        self.bad_checks = 0

    def _improves(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value, model=None):
        value = float(value.item() if isinstance(value, Tensor) else value)
        if math.isnan(value):
            raise ValueError("EarlyStopping.step: the validation metric is NaN (training diverged?)")
        if self._improves(value):
            self.best, self.best_step, self.bad_checks = value, self.num_checks, 0
            if model is not None:
                self.best_state = model.state_dict()
        else:
            self.bad_checks += 1
        self.num_checks += 1
        return self.should_stop

    @property
    def should_stop(self):
        return self.bad_checks >= self.patience

    def restore_best(self, model):
        """Load the best checkpoint into `model` (needs `step(..., model)` to have stored one)."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping.restore_best: no checkpoint was stored; pass the model to step()")
        model.load_state_dict(self.best_state)
        return model
