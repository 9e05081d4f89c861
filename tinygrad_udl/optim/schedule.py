"""Learning-rate schedules (section 6.2.2; fig. 7.8; warm-up from the ch. 6 Notes), PyTorch semantics.

As with `torch.optim.lr_scheduler`: a scheduler is built on an optimizer, sets each group's `lr`
for epoch 0 at once, and `scheduler.step()` (called once per epoch, after the epoch's
`optimizer.step()` calls) moves to the next epoch; `get_last_lr()` lists the current rates.

Every schedule here is a closed form lr(base_lr, epoch), where base_lr is the group's rate when the
first scheduler was attached (kept as `group["initial_lr"]`, as PyTorch does). That makes them
composable without surprises:

- `ChainedScheduler([s1, s2])`: lr = s2(s1(base, e), e); for the multiplicative schedules (step,
  exponential, linear, lambda) that is base · factor1(e) · factor2(e);
- `SequentialLR([s1, s2], milestones=[m])`: s1 for epochs < m, then s2 restarted at its epoch 0.

Schedules in epochs t = 0, 1, ... (the base rate is α₀):

| class | lr at epoch t |
|---|---|
| StepLR(step_size, gamma) | α₀·gamma^⌊t / step_size⌋ (section 6.2.2; fig. 7.8: step_size=10, gamma=0.5) |
| ExponentialLR(gamma) | α₀·gamma^t |
| CosineAnnealingLR(T_max, eta_min) | eta_min + (α₀ − eta_min)·(1 + cos(π t / T_max)) / 2 |
| LinearLR(start_factor, end_factor, total_iters) | α₀·(start + (end − start)·min(t, total_iters) / total_iters) |
| LinearWarmup(warmup_steps) | α₀·min(1, (t + 1) / warmup_steps): the full rate at the warmup_steps-th step |
| LambdaLR(lr_lambda) | α₀·lr_lambda(t) |

(The book gives no warm-up formula; the linear ramp is standard, not in the book.)
"""
from __future__ import annotations

import bisect
import math

import numpy as np

from ..checks import check_int
from .optimizer import Optimizer, check_number


class LRScheduler:
    """Base class: subclasses implement `_lr(i, base_lr, epoch)`, group i's rate at `epoch`."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected a tinygrad_udl optimizer, got {type(optimizer).__name__}")
        if any("lr" not in group for group in optimizer.param_groups):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} has no learning rate 'lr' to schedule")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr = []
        self.step()

    def _lr(self, i, base_lr, epoch):
        raise NotImplementedError

    def _lrs(self, epoch):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise RuntimeError(f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups but the scheduler "
                               f"was built for {len(self.base_lrs)}; create the scheduler after adding all groups")
        return [self._lr(i, base, epoch) for i, base in enumerate(self.base_lrs)]

    def _apply(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def step(self):
        """Advance one epoch and set every group's `lr` (PyTorch: call after the epoch's updates)."""
        self.last_epoch += 1
        self._apply(self._lrs(self.last_epoch))

    def get_last_lr(self) -> list:
        """The learning rate of each parameter group, as last set by this scheduler."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """`{"last_epoch": int, "base_lrs": array}`; the schedule's own arguments come from its
        constructor (functions such as LambdaLR's lr_lambda cannot be saved)."""
        return {"last_epoch": self.last_epoch, "base_lrs": np.array(self.base_lrs, dtype=np.float64)}

    def load_state_dict(self, state_dict: dict):
        """Resume at the saved epoch (and set the groups' `lr` to that epoch's rates)."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"last_epoch", "base_lrs"}:
            found = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}: expected the keys ['base_lrs', 'last_epoch'], got {found}")
        base_lrs = np.atleast_1d(np.asarray(state_dict["base_lrs"], dtype=np.float64))
        if base_lrs.shape != (len(self.optimizer.param_groups),):
            raise ValueError(f"{name}: the state dict has {base_lrs.size} base learning rate(s), the optimizer has "
                             f"{len(self.optimizer.param_groups)} parameter group(s)")
        last_epoch = np.asarray(state_dict["last_epoch"])
        if last_epoch.shape != () or last_epoch.dtype.kind not in "iu" or last_epoch < 0:
            raise ValueError(f"{name}: last_epoch must be an int >= 0, got {state_dict['last_epoch']!r}")
        self.base_lrs = [float(b) for b in base_lrs]
        self.last_epoch = int(last_epoch)
        self._apply(self._lrs(self.last_epoch))


class StepLR(LRScheduler):
    """α₀·gamma^⌊epoch / step_size⌋: multiply the rate by `gamma` every `step_size` epochs
    (section 6.2.2; fig. 7.8 uses StepLR(step_size=10, gamma=0.5))."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_int(step_size, "step_size", "StepLR", 1)
        check_number("StepLR", "gamma", gamma, minimum=0.0)
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr(self, i, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """α₀·gamma^epoch."""

    def __init__(self, optimizer, gamma):
        check_number("ExponentialLR", "gamma", gamma, minimum=0.0)
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr(self, i, base_lr, epoch):
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """eta_min + (α₀ − eta_min)·(1 + cos(π·epoch / T_max)) / 2: from α₀ down to eta_min at epoch
    T_max (PyTorch's closed form; it rises again after T_max, as a cosine does)."""

    def __init__(self, optimizer, T_max, eta_min=0.0):  # noqa: N803 (PyTorch's name)
        self.T_max = check_int(T_max, "T_max", "CosineAnnealingLR", 1)
        check_number("CosineAnnealingLR", "eta_min", eta_min, minimum=0.0)
        self.eta_min = eta_min
        super().__init__(optimizer)

    def _lr(self, i, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearLR(LRScheduler):
    """α₀·(start_factor + (end_factor − start_factor)·min(epoch, total_iters) / total_iters)
    (PyTorch's LinearLR and its defaults)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        name = type(self).__name__
        check_number(name, "start_factor", start_factor, minimum=0.0)
        check_number(name, "end_factor", end_factor, minimum=0.0)
        self.total_iters = check_int(total_iters, "total_iters", name, 0)
        self.start_factor, self.end_factor = start_factor, end_factor
        super().__init__(optimizer)

    def _lr(self, i, base_lr, epoch):
        if epoch >= self.total_iters:
            return base_lr * self.end_factor
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * epoch / self.total_iters)


class LinearWarmup(LinearLR):
    """Linear warm-up: α₀·min(1, (epoch + 1) / warmup_steps), i.e. α₀/W, 2α₀/W, ..., α₀ (then α₀).

    It is `LinearLR(start_factor=1/W, end_factor=1, total_iters=W − 1)`. Step it per iteration
    for a per-iteration warm-up, and follow it with another schedule through
    `SequentialLR([warmup, schedule], milestones=[W])`."""

    def __init__(self, optimizer, warmup_steps):
        warmup_steps = check_int(warmup_steps, "warmup_steps", "LinearWarmup", 1)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, start_factor=1.0 / warmup_steps, end_factor=1.0, total_iters=warmup_steps - 1)


class LambdaLR(LRScheduler):
    """α₀·lr_lambda(epoch); `lr_lambda` is a function or a list of functions, one per group."""

    def __init__(self, optimizer, lr_lambda):
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups or not all(callable(f) for f in lambdas):
            raise TypeError(f"LambdaLR: lr_lambda must be a function or a list of {groups} functions (one per "
                            f"parameter group), got {lr_lambda!r:.80}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def _lr(self, i, base_lr, epoch):
        factor = self.lr_lambdas[i](epoch)
        check_number("LambdaLR", f"lr_lambda({epoch}) for group {i}", factor, minimum=0.0)
        return base_lr * factor


class ChainedScheduler(LRScheduler):
    """Apply several schedules at once: lr = sₙ(...s₂(s₁(α₀, e), e)..., e). Step only the chain
    (it owns the epoch count); the children serve as formulas."""

    def __init__(self, schedulers):
        self.schedulers = _children(schedulers, "ChainedScheduler")
        super().__init__(self.schedulers[0].optimizer)

    def _lr(self, i, base_lr, epoch):
        for scheduler in self.schedulers:
            base_lr = scheduler._lr(i, base_lr, epoch)
        return base_lr


class SequentialLR(LRScheduler):
    """`schedulers[k]` for milestones[k−1] <= epoch < milestones[k], each restarted at its own epoch 0
    (e.g. `SequentialLR(opt, [LinearWarmup(opt, 5), CosineAnnealingLR(opt, 95)], milestones=[5])`).
    Step only the sequence."""

    def __init__(self, optimizer, schedulers, milestones):
        self.schedulers = _children(schedulers, "SequentialLR")
        if any(s.optimizer is not optimizer for s in self.schedulers):
            raise ValueError("SequentialLR: every scheduler must be built on the optimizer passed to SequentialLR")
        milestones = [check_int(m, "milestones", "SequentialLR", 1) for m in milestones]
        if len(milestones) != len(self.schedulers) - 1 or milestones != sorted(set(milestones)):
            raise ValueError(f"SequentialLR: need {len(self.schedulers) - 1} strictly increasing milestone(s) for "
                             f"{len(self.schedulers)} schedulers, got {milestones}")
        self.milestones = milestones
        super().__init__(optimizer)

    def _lr(self, i, base_lr, epoch):
        k = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[k - 1] if k else 0
        return self.schedulers[k]._lr(i, base_lr, epoch - start)


def _children(schedulers, owner):
    schedulers = list(schedulers)
    if not schedulers or not all(isinstance(s, LRScheduler) for s in schedulers):
        raise TypeError(f"{owner}: expected a non-empty list of schedulers, got {schedulers!r:.80}")
    if any(s.optimizer is not schedulers[0].optimizer for s in schedulers):
        raise ValueError(f"{owner}: all schedulers must be built on the same optimizer")
    return schedulers
