"""The model zoo's catalogue: every trainable model of the book with its section and setup.

`registry()` maps a name (what `tinygrad-udl train NAME` takes) to a `ZooEntry`: the model class,
the task it is trained on, the hyperparameters (the book's where it states them; `source` says
which), the book's printed numbers (or an exact reference) to compare with, and a tiny
configuration for tests and gradient checks. `docs/zoo.md` lists the same entries with the
numbers we measured.

The entries live with their models, one list per part of the book (`zoo/<part>/entries.py`,
e.g. `zoo/supervised/entries.py` for chapters 2-11); `PARTS` puts them in book order, and this
is the one place where they meet: names must be unique across parts.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import Callable

from ..autograd.tensor import Tensor
from .tasks import Task

CLASSIFICATION_METRICS = ("test_error", "train_error", "parameters")
REGRESSION_METRICS = ("test_loss", "train_loss", "parameters")


@dataclass(frozen=True)
class ZooEntry:
    """One trainable experiment of the zoo.

    Attributes:
        name: the command-line name (`tinygrad-udl train NAME`).
        section: the book's section / figure.
        description: one line.
        factory: `factory(rng=..., **model_kwargs)` -> the model (an `nn.Module`).
        task: the data, loss and error rate (`zoo.tasks.Task`).
        hyperparameters: see `zoo.runner` for the keys.
        source: where the hyperparameters come from (the book, or ours where the book is silent).
        book: metric key -> the value the book prints (keys of `runner.METRICS`).
        notes: metric key -> a remark shown beside the number.
        model_kwargs: keyword arguments of `factory` for the full model.
        tiny: keyword arguments of `factory` for a tiny instance (tests, gradient checks).
        metrics: the keys of `runner.METRICS` reported after training.
        extra_rows: `extra_rows(model, history, split)` -> further result rows, or None.
        trainer: replaces `runner.train_model` (ensembles, batch-norm calibration), or None;
            called as `trainer(entry, hyper, split, seed, progress, compile=...)`.
        pictures: `pictures(model, history, split, out_dir)` -> the PNG paths it wrote, the
            chapter's own figures for `train NAME --plot` (beside the learning curves), or None.
        eager_reason: why the training step runs eagerly even when compiled steps are asked for
            (numpy work on the data inside the step, which `tinygrad_udl.compile` cannot replay
            and would only detect after tracing, with a warning), or None: compiled by default.
    """

    name: str
    section: str
    description: str
    factory: Callable
    task: Task
    hyperparameters: dict
    source: str
    book: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    model_kwargs: dict = field(default_factory=dict)
    tiny: dict = field(default_factory=dict)
    metrics: tuple = CLASSIFICATION_METRICS
    extra_rows: Callable | None = None
    trainer: Callable | None = None
    pictures: Callable | None = None
    eager_reason: str | None = None

    def build(self, rng=0, tiny=False, dtype=None):
        """The model (or its tiny configuration), initialised from `rng` (Generator or int seed)."""
        kwargs = dict(self.tiny if tiny else self.model_kwargs)
        if dtype is not None:
            kwargs["dtype"] = dtype
        return self.factory(rng=rng, **kwargs)

    def example_inputs(self, n=4, dtype=None):
        """`(x, y)`: the first `n` training examples of the task, x as a Tensor (for the tiny model's
        forward pass and gradient checks), y as the numpy target of `task.loss_fn`."""
        x, y = (a[:n] for a in self.task.load().train)
        if dtype is not None:
            x = x.astype(dtype)
            y = y.astype(dtype) if y.dtype.kind == "f" else y
        return Tensor(x), y

    def compiles(self, asked=True) -> bool:
        """Whether its training steps are compiled when `asked` (`compile=`): not with an `eager_reason`."""
        return asked and self.eager_reason is None

    @property
    def command(self) -> str:
        return f"tinygrad-udl train {self.name}"


# The parts of the book that have zoo entries, in book order: each a module with `entries()`.
PARTS = ("supervised", "transformers", "graphs", "generative.gans", "generative.flows", "generative.vae", "generative.diffusion",
         "rl")


@functools.cache
def registry() -> dict:
    """name -> ZooEntry, in book order."""
    entries = {}
    for part in PARTS:
        for entry in importlib.import_module(f"{__package__}.{part}.entries").entries():
            if entry.name in entries:
                raise ValueError(f"zoo: two entries are called {entry.name!r} (the second in zoo/{part}); "
                                 "names must be unique")
            entries[entry.name] = entry
    return entries


def get(name) -> ZooEntry:
    """The entry called `name`; a KeyError lists the names that exist."""
    entries = registry()
    if name not in entries:
        raise KeyError(f"no zoo model called {name!r}; the zoo has: {', '.join(entries)}")
    return entries[name]
