"""Helpers of the compiled-against-eager training tests (tests/compile): the classifier step most of
them compile; what a training run creates (optimizers, numpy Generators, compiled functions,
compile warnings) and a run reduced to what must agree, bit for bit, between the two modes."""
import contextlib
import warnings

import numpy as np

import tinygrad_udl as tg
from tinygrad_udl.compile import CompileWarning, Compiled
from tinygrad_udl.nn import functional as F
from tinygrad_udl.optim.optimizer import Optimizer


def classifier_step(model, opt):
    """The training step of most tests: mean cross-entropy of `model` on (x, y), zero_grad,
    backward, the optimizer's step; returns the loss as a float."""
    def step(x, y):
        return optimizer_step(opt, F.cross_entropy(model(tg.Tensor(x)), y))
    return step


def optimizer_step(opt, loss):
    """The end of a training step: zero_grad, backward, the optimizer's step; the loss as a float.
    (Called inside the steps the tests compile: the tracer records what it does.)"""
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def compiled_calls(fn, inputs):
    """(results, compiled): `compile(fn)` called on each of `inputs` (one argument each), any
    fallback to eager mode (a CompileWarning) raised as an error."""
    compiled = tg.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        return [compiled(x) for x in inputs], compiled


class Recording:
    """What a run made: `optimizers`, `generators` ((repr of the seed, Generator) pairs from
    `np.random.default_rng`), `compiled` (the `Compiled` functions) and `fallbacks` (the messages
    of the CompileWarnings). Use `with recording(monkeypatch) as made: ...`."""

    def __init__(self):
        self.optimizers, self.generators, self.compiled, self.fallbacks = [], [], [], []

    def replayed(self):
        """The compiled functions that replayed at least one call."""
        return [f for f in self.compiled if "replay" in f.stats().values()]

    def optimizer_states(self, model):
        """The state of every optimizer of `model`'s parameters (not of a helper's, e.g. a cached
        reference classifier's), parameter by parameter, as arrays."""
        ours = {id(p) for p in model.parameters()}
        return [[{k: np.array(v) for k, v in opt.state[p].items()} if p in opt.state else None
                 for group in opt.param_groups for p in group["params"]]
                for opt in self.optimizers
                if any(id(p) in ours for group in opt.param_groups for p in group["params"])]

    def generator_states(self):
        """{repr of the seed: [states of the Generators made from it]} after the run."""
        states = {}
        for seed, generator in self.generators:
            states.setdefault(seed, []).append(generator.bit_generator.state)
        return states


@contextlib.contextmanager
def recording(monkeypatch):
    made = Recording()
    make_optimizer, make_generator, make_compiled = Optimizer.__init__, np.random.default_rng, Compiled.__init__

    def optimizer(self, *args, **kwargs):
        make_optimizer(self, *args, **kwargs)
        made.optimizers.append(self)

    def generator(*args, **kwargs):
        made.generators.append((repr((args, kwargs)), make_generator(*args, **kwargs)))
        return made.generators[-1][1]

    def compiled(self, *args, **kwargs):
        make_compiled(self, *args, **kwargs)
        made.compiled.append(self)

    with monkeypatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CompileWarning)
        patch.setattr(Optimizer, "__init__", optimizer)
        patch.setattr(np.random, "default_rng", generator)
        patch.setattr(Compiled, "__init__", compiled)
        yield made
    made.fallbacks = [str(w.message) for w in caught if issubclass(w.category, CompileWarning)]


def module_generators(model):
    """The states of the numpy Generators held by `model`'s modules (dropout's masks, noise streams)."""
    modules = model.modules() if hasattr(model, "modules") else [model]
    return [v.bit_generator.state for m in modules for v in vars(m).values() if isinstance(v, np.random.Generator)]


def parameters(model):
    """`model`'s state dict (parameters and buffers) as arrays."""
    return {k: np.array(v) for k, v in model.state_dict().items()}


def without_seconds(value):
    """`value` (rows, info dicts) without the wall-clock times, which differ from run to run."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list | tuple):
        return [without_seconds(v) for v in value]
    return value


def common_seeds(a, b):
    """Both runs' generator states restricted to the seeds both made generators from: a generator
    made for data that is cached (functools.cache) is made in the first run only."""
    both = a.keys() & b.keys()
    return {seed: a[seed] for seed in both}, {seed: b[seed] for seed in both}
