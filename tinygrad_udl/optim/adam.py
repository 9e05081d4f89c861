"""`Adam` (eqs. 6.15-6.18) and `AdamW` (Loshchilov & Hutter; named in ch. 6 and 9 Notes).

The book's Adam, with t counted from 0 and m₀ = v₀ = 0:

    m ← β·m + (1 − β)·g,   v ← γ·v + (1 − γ)·g²                  (eq. 6.15; g² pointwise)
    m̃ = m / (1 − β^(t+1)),  ṽ = v / (1 − γ^(t+1))                (eq. 6.16)
    φ ← φ − α·m̃ / (√ṽ + ε)                                       (eq. 6.17; ε outside the root)

In the stochastic setting (eq. 6.18) g is the gradient of the loss summed over the batch, squared
after summing. This is exactly `torch.optim.Adam(lr=α, betas=(β, γ), eps=ε)`: PyTorch counts steps
from 1, so its 1 − β^step is the book's 1 − β^(t+1); `state["step"]` here is that count. Hence no
`style` argument. With betas=(0, 0) the rule is the book's normalized gradient (eqs. 6.13-6.14),
φ ← φ − α·g / (|g| + ε), and Adam's first step is −α·sign(g) up to ε.

Defaults lr=1e-3, betas=(0.9, 0.999), eps=1e-8 are the standard ones (Kingma & Ba), not the book's:
the book gives none.

Weight decay: `Adam(weight_decay=wd)` adds wd·φ to g (PyTorch; L2 with coefficient wd/2), which
Adam then rescales per coordinate, so it is not eq. 9.13's weight decay (section 9.1 Notes). `AdamW`
decouples it: φ ← (1 − α·λ)·φ before the Adam step (PyTorch's AdamW, default λ = 1e-2).
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, add_l2, check_flag, check_number


class Adam(Optimizer):
    """`Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)`.

    betas = (β, γ) of eq. 6.15. `amsgrad=True` (Reddi et al., named in the ch. 6 Notes) divides by
    the running maximum of v instead of v, as PyTorch does (maximum of the uncorrected v, then the
    bias correction of the current step).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=_pair(betas, self._name()), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _check_group(self, group):
        super()._check_group(group)
        name = self._name()
        group["betas"] = _pair(group["betas"], name)
        for which, value in zip(("β (betas[0])", "γ (betas[1])"), group["betas"]):
            check_number(name, which, value, minimum=0.0, below=1.0, note=" (eq. 6.15)")
        check_number(name, "eps", group["eps"], minimum=0.0)
        check_number(name, "weight_decay", group["weight_decay"], minimum=0.0)
        check_flag(name, "amsgrad", group["amsgrad"])

    def _init_state(self, p, group):
        state = {"step": 0, "exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p.data)
        return state

    def _decay(self, p, grad, group):
        """Adam's weight decay: L2, added to the gradient (PyTorch's Adam)."""
        return add_l2(grad, p, group["weight_decay"])

    def _update(self, p, grad, group):
        beta, gamma = group["betas"]
        grad = self._decay(p, grad, group)
        state = self._state(p, group)[0]
        state["step"] += 1
        t1 = state["step"]  # the book's t + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta
        m += (1 - beta) * grad  # eq. 6.15
        v *= gamma
        v += (1 - gamma) * grad * grad
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        m_tilde = m / (1 - beta ** t1)  # eq. 6.16
        v_tilde = v / (1 - gamma ** t1)
        p.data -= group["lr"] * m_tilde / (np.sqrt(v_tilde) + group["eps"])  # eq. 6.17


class AdamW(Adam):
    """`AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)`:
    Adam with decoupled weight decay, φ ← (1 − α·λ)·φ, then the Adam step on the plain gradient."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

    def _decay(self, p, grad, group):
        if group["weight_decay"]:
            p.data *= 1 - group["lr"] * group["weight_decay"]
        return grad


def _pair(betas, owner):
    try:
        pair = tuple(betas)
    except TypeError:
        raise TypeError(f"{owner}: betas must be a pair (β, γ), got {betas!r}") from None
    if len(pair) != 2:
        raise ValueError(f"{owner}: betas must be a pair (β, γ), got {len(pair)} value(s): {betas!r}")
    return pair
