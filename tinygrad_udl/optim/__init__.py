"""Optimizers, learning-rate schedules, gradient clipping and line search (chapter 6, section 7.6).

PyTorch's API (`opt = SGD(model.parameters(), lr=0.1, momentum=0.9)`, `opt.zero_grad()`,
`loss.backward()`, `opt.step()`, `StepLR(opt, 10, 0.5).step()` per epoch), with the book's
conventions where they differ: `SGD(..., style="book")` is the damped momentum of eq. 6.11 and the
look-ahead Nesterov of eq. 6.12. See docs/optim.md for every update rule beside its equation.
"""
from . import schedule as lr_scheduler  # torch.optim.lr_scheduler's name, for code ported from PyTorch
from .adam import Adam, AdamW
from .adaptive import Adagrad, RMSprop
from .clip import clip_grad_norm_, clip_grad_value_
from .line_search import LineSearchGD, gradient_descent_line_search, line_search
from .optimizer import Optimizer
from .schedule import (ChainedScheduler, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, LinearWarmup,
                       LRScheduler, SequentialLR, StepLR)
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "LinearWarmup", "LambdaLR",
    "ChainedScheduler", "SequentialLR", "lr_scheduler",
    "clip_grad_norm_", "clip_grad_value_",
    "line_search", "LineSearchGD", "gradient_descent_line_search",
]
