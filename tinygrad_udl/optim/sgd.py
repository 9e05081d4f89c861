"""`SGD`: gradient descent, SGD, momentum and Nesterov momentum, in the book's or PyTorch's convention.

With `momentum=0` both conventions are the book's eqs. 6.3 / 6.10, φ ← φ − α·g (g is the gradient
of whatever loss was backpropagated: the book sums over the batch, PyTorch losses average by
default, which divides the effective α by the batch size). They differ once momentum is on:

style="torch" (default; fig. 7.8's code uses torch.optim.SGD)
    v ← μ·v + (1 − τ)·g  (v = g on the first step),   φ ← φ − lr·v
    nesterov=True:       φ ← φ − lr·(g + μ·v), with g taken at φ itself
    weight_decay=wd:     g ← g + wd·φ  (L2 with coefficient wd/2)
style="book"
    eq. 6.11: m ← β·m + (1 − β)·g,   φ ← φ − α·m   (damped, m₀ = 0)
    eq. 6.12: g taken at the look-ahead point φ − αβ·m (final print; φ − α·m, the draft's
              version, with draft_lookahead=True); needs step(closure), see `SGD.step`
    weight_decay=λ′:     eq. 9.13, φ ← (1 − λ′)·φ − α·m  (equals L2 with coefficient λ′/(2α))

Relations (tested): torch `SGD(lr=α(1−β), momentum=β)` gives exactly the book's eq. 6.11 (PyTorch's
`dampening=β` does not: it skips the damping on step 1). Torch-style Nesterov with lr = α(1−β)
moves the parameters along the book's look-ahead points φ_t − αβ·m_t, not along φ_t: the two are
different parameterisations of the same method, not the same numbers.
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, add_l2, check_flag, check_number

STYLES = ("torch", "book")


class SGD(Optimizer):
    """`SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, style="torch",
    draft_lookahead=False)`.

    `lr` is required (the book gives no default). `momentum` is PyTorch's μ (style="torch") or the
    book's β ∈ [0, 1) (style="book"); `dampening` exists only in style="torch". See the module
    docstring for the update rules.
    """

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 style="torch", draft_lookahead=False):
        if style not in STYLES:
            raise ValueError(f"SGD: style must be 'torch' (PyTorch's rule) or 'book' (eqs. 6.11-6.12), got {style!r}")
        check_flag("SGD", "draft_lookahead", draft_lookahead)
        if draft_lookahead and style != "book":
            raise ValueError("SGD: draft_lookahead=True selects the draft's Nesterov look-ahead φ − α·m of eq. 6.12; "
                             "it needs style='book' (PyTorch's Nesterov has no look-ahead evaluation)")
        self.style = style
        self.draft_lookahead = bool(draft_lookahead)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _options(self):
        return {"book_style": self.style == "book", "draft_lookahead": self.draft_lookahead}

    def _check_group(self, group):
        super()._check_group(group)
        book = self.style == "book"
        if book:
            check_number("SGD", "momentum", group["momentum"], minimum=0.0, below=1.0,
                         note=" with style='book' (β of eq. 6.11)")
            check_number("SGD", "weight_decay", group["weight_decay"], minimum=0.0, below=1.0,
                         note=" with style='book' (λ′ of eq. 9.13: φ ← (1 − λ′)φ − α·m)")
            if group["dampening"] != 0:
                raise ValueError("SGD: dampening is PyTorch's option; with style='book' the momentum is already damped "
                                 "by (1 − β) (eq. 6.11). Leave dampening at 0")
        else:
            check_number("SGD", "momentum", group["momentum"], minimum=0.0)
            check_number("SGD", "dampening", group["dampening"], minimum=0.0, maximum=1.0)
            check_number("SGD", "weight_decay", group["weight_decay"], minimum=0.0)
        check_flag("SGD", "nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={group['momentum']}, "
                             f"dampening={group['dampening']}")

    def _init_state(self, p, group):
        return {"momentum_buffer": np.zeros_like(p.data)} if group["momentum"] else {}

    def step(self, closure=None):
        """One update. In style="book" with nesterov=True (eq. 6.12) the gradient must be taken at
        the look-ahead point, so `closure` is required: step() moves every parameter to
        φ − αβ·m (or φ − α·m with draft_lookahead), clears the gradients, calls `closure()` (which
        must recompute the loss and call backward, PyTorch's closure convention), puts the
        parameters back to φ and then applies eq. 6.12's update with those gradients. It returns
        the closure's loss (the loss at the look-ahead point). Otherwise as `Optimizer.step`.

            def closure():
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                return loss
            opt.step(closure)
        """
        if self.style != "book" or not any(group["nesterov"] for group in self.param_groups):
            return super().step(closure)
        if closure is None:
            raise ValueError(
                "SGD(style='book', nesterov=True).step() needs a closure: eq. 6.12 takes the gradient at the look-ahead "
                "point φ − αβm, so step(closure) moves the parameters there, calls closure() to recompute the loss and "
                "its gradients (closure: zero_grad(); loss = ...; loss.backward(); return loss), and moves them back "
                "before updating. Use style='torch' for PyTorch's Nesterov, which needs no closure.")
        saved = self._move_to_lookahead()
        try:
            self.zero_grad()
            loss = self._evaluate(closure)
        finally:
            for p, data in saved:
                np.copyto(p.data, data)
        self._update_all()
        return loss

    def _move_to_lookahead(self):
        """Move each Nesterov parameter to φ − αβ·m (final print) or φ − α·m (draft) in place;
        return (parameter, original data) pairs so that step() restores φ exactly."""
        saved = []
        for group in self.param_groups:
            if not group["nesterov"]:
                continue
            shift = group["lr"] if self.draft_lookahead else group["lr"] * group["momentum"]
            for p in group["params"]:
                state = self.state.get(p)
                if state:  # no state yet: m = 0, the look-ahead point is φ itself
                    saved.append((p, p.data.copy()))
                    p.data -= shift * state["momentum_buffer"]
        return saved

    def _update(self, p, grad, group):
        lr, beta, decay = group["lr"], group["momentum"], group["weight_decay"]
        if self.style == "torch":
            grad = add_l2(grad, p, decay)
            if beta:
                state, first = self._state(p, group)
                buf = state["momentum_buffer"]
                if first:
                    buf[...] = grad  # PyTorch: the buffer starts as g, undamped
                else:
                    buf *= beta
                    dampening = group["dampening"]
                    buf += grad if dampening == 0 else (1 - dampening) * grad  # (no copy of g for the usual 0)
                grad = grad + beta * buf if group["nesterov"] else buf
            p.data -= self._scaled(lr, grad)
            return
        if beta:  # eqs. 6.11 / 6.12 (for 6.12, step() already evaluated grad at the look-ahead point)
            m = self._state(p, group)[0]["momentum_buffer"]
            m *= beta
            m += (1 - beta) * grad
            grad = m
        if decay:
            p.data *= 1 - decay  # eq. 9.13: shrink φ before the gradient step
        p.data -= self._scaled(lr, grad)
