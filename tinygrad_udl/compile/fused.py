"""Optimizer steps fused across parameters, for compiled steps.

Eager `SGD.step()` / `Adam.step()` update one parameter at a time: a handful of numpy operations
per parameter, each on a small array, so a network of six parameters costs a few dozen calls.
In a compiled step the program knows, before it runs, every gradient the step will read: the
buffer pass (optimize.py) lays those gradients out in one flat array, this module lays the
optimizer's state out the same way, and the update becomes the same operations on the flat
arrays -- a handful of numpy calls in all -- with one subtraction per parameter at the end
(parameters keep their own arrays). The operations, their order and their scalars are those of
`SGD._update` (PyTorch's rule) and `Adam._update` (eqs. 6.15-6.17), elementwise, so the numbers
are bit for bit eager mode's (tests/compile/test_fused.py).

Gradients made by a kernel are written straight into the flat array; the others (made by a call
without kernel, or summed from two backward passes) are copied into it by the step. At every
replay the fused step checks that it still applies -- the same parameters, each with a gradient of
its shape and dtype, the optimizer's options are the plain ones, the state exists (and, for Adam,
every parameter has taken the same number of steps) -- and otherwise runs the optimizer's own
step. The state arrays it finds are copied into its flat arrays once and
then *are* views of them (`opt.state[p]["momentum_buffer"]` stays a normal array of p's shape).
"""
from __future__ import annotations

import numpy as np


def _views(flat, shapes):
    out, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        out.append(flat[start:start + n].reshape(shape))
        start += n
    return out


class _FusedStep:
    """The common part: the optimizer, its parameters (one group), the flat gradient and its views."""

    state_names = ()

    def __init__(self, opt, original_step, params, grads, flat_grad):
        self.opt, self.original_step = opt, original_step
        self.params, self.grads, self.flat_grad = params, grads, flat_grad
        shapes = [g.shape for g in grads]
        self.flat_tmp = np.empty_like(flat_grad)
        self.tmp = _views(self.flat_tmp, shapes)
        self.flat_state = {name: np.zeros_like(flat_grad) for name in self.state_names}
        self.state_views = {name: _views(flat, shapes) for name, flat in self.flat_state.items()}
        self.__name__ = f"fused {type(opt).__name__}.step"

    def _applies(self, group):
        """Whether the flat update computes what the optimizer's own step would (checked at every replay)."""
        if len(self.opt.param_groups) != 1 or len(group["params"]) != len(self.params):
            return False
        state = self.opt.state
        for i, (p, q, g) in enumerate(zip(group["params"], self.params, self.grads)):
            if p is not q or p.grad is None:
                return False
            if p.grad.data is not g:   # a gradient the program did not write into the flat array
                if p.grad.data.shape != g.shape or p.grad.data.dtype != g.dtype:
                    return False
                np.copyto(g, p.grad.data)
            s = state.get(p)
            if self.state_names and s is None:
                return False
            for name in self.state_names:
                view = self.state_views[name][i]
                if s[name] is not view:   # first replay, or a state loaded since: adopt its values
                    if s[name].shape != view.shape:
                        return False
                    view[...] = s[name]
                    s[name] = view
        return True

    def _finish(self):
        for p, t in zip(self.params, self.tmp):
            p.data -= t
            p._bump_version()


class FusedSGD(_FusedStep):
    """SGD in PyTorch's convention (style="torch"): v <- mu v + g, phi <- phi - lr v (v = g on the
    first step, which ran while tracing); plain SGD when mu = 0. No dampening, weight decay or
    Nesterov (those run the optimizer's own step)."""

    def __init__(self, opt, original_step, params, grads, flat_grad):
        self.state_names = ("momentum_buffer",) if opt.param_groups[0]["momentum"] else ()
        super().__init__(opt, original_step, params, grads, flat_grad)

    @staticmethod
    def covers(opt, group):
        return (type(group["lr"]) in (float, int) and group["dampening"] == 0 and group["weight_decay"] == 0
                and not group["nesterov"] and opt.style == "torch")

    def __call__(self):
        group = self.opt.param_groups[0]
        lr, beta = group["lr"], group["momentum"]
        if not (self.covers(self.opt, group) and bool(beta) == bool(self.state_names) and self._applies(group)):
            return self.original_step(self.opt)
        update = self.flat_grad
        if beta:
            update = self.flat_state["momentum_buffer"]
            update *= beta
            update += self.flat_grad
        np.multiply(update, lr, out=self.flat_tmp)   # lr * v, as SGD._update's `_scaled`
        self._finish()


class FusedAdam(_FusedStep):
    """Adam (eqs. 6.15-6.17, PyTorch's defaults), without weight decay or amsgrad."""

    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, opt, original_step, params, grads, flat_grad):
        super().__init__(opt, original_step, params, grads, flat_grad)
        self.flat_tmp2 = np.empty_like(flat_grad)

    @staticmethod
    def covers(opt, group):
        return group["weight_decay"] == 0 and not group["amsgrad"]

    def __call__(self):
        group = self.opt.param_groups[0]
        if not (self.covers(self.opt, group) and self._applies(group)):
            return self.original_step(self.opt)
        states = [self.opt.state[p] for p in self.params]
        steps = {s["step"] for s in states}
        if len(steps) != 1:
            return self.original_step(self.opt)
        t1 = steps.pop() + 1
        for s in states:
            s["step"] = t1
        (beta, gamma), lr, eps = group["betas"], group["lr"], group["eps"]
        m, v, g = self.flat_state["exp_avg"], self.flat_state["exp_avg_sq"], self.flat_grad
        t, u = self.flat_tmp, self.flat_tmp2
        m *= beta
        np.multiply(g, 1 - beta, out=t)        # m += (1 - beta) * grad
        m += t
        v *= gamma
        np.multiply(g, 1 - gamma, out=t)       # v += (1 - gamma) * grad * grad
        np.multiply(t, g, out=t)
        v += t
        np.divide(m, 1 - beta ** t1, out=t)    # m_tilde
        np.divide(v, 1 - gamma ** t1, out=u)   # v_tilde
        np.sqrt(u, out=u)
        np.add(u, eps, out=u)
        np.multiply(t, lr, out=t)              # lr * m_tilde / (sqrt(v_tilde) + eps)
        np.divide(t, u, out=t)
        self._finish()


def fused_step(opt, original_step):
    """The fused class for this optimizer and recorded step function, or None (only the exact
    classes: a subclass may change the rule, e.g. AdamW's decoupled decay)."""
    from ..optim.adam import Adam
    from ..optim.optimizer import Optimizer
    from ..optim.sgd import SGD

    def original(cls):
        fn = cls.__dict__["step"]
        return getattr(fn, "__wrapped__", fn)   # while a trace runs, step() is wrapped (recorder.py)

    if type(opt) is SGD and original_step is original(SGD):
        return FusedSGD
    if type(opt) is Adam and original_step is original(Optimizer):
        return FusedAdam
    return None
