"""`--model NAME | MODULE:FACTORY`: the one resolver behind `gradcheck --model` and `graph --model`.

NAME is a model of the zoo (`tinygrad_udl.zoo.registry()`): an entry with `build(rng, tiny)` and
`example_inputs()` (a `ZooEntry`) gives its model applied to a few training examples with its
task's loss; any other entry is taken as a factory. MODULE:FACTORY imports MODULE, from the current
folder too, and calls FACTORY(), which returns `(model, inputs)`, `(model, inputs, loss_fn)` or a
model with an `example_inputs()` method.

Errors of the user's code (an import that fails, a factory or model that raises) become one-line
`UsageError`s naming the --model value; KeyboardInterrupt is left alone.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
from dataclasses import dataclass

import numpy as np

from . import UsageError

# Errors that running a user's model may raise and that say something about the model, not about
# the library running it (whose own bugs should keep their traceback).
MODEL_ERRORS = (ValueError, TypeError, ArithmeticError, RuntimeError)


@dataclass
class LoadedModel:
    model: object
    inputs: list
    loss_fn: object = None   # loss_fn(model(*inputs)) -> the scalar to differentiate; None: the output itself
    about: dict | None = None  # a zoo model in its tiny configuration: what exactly is checked


def load_model(spec, *, tiny=False, seed=0) -> LoadedModel:
    """The model named by `spec`; a zoo model in its `tiny` configuration (gradient checks) or its
    full one (drawings), initialised from `seed`."""
    if ":" in spec:
        return _from_factory(spec, _import_factory(spec))
    entries = zoo_registry()
    if spec not in entries:
        known = ", ".join(sorted(entries)) or "none registered yet"
        raise UsageError(f"unknown model {spec!r}; known: {known} (or give MODULE:FACTORY)")
    entry = entries[spec]
    if not hasattr(entry, "build"):
        return _from_factory(spec, entry)
    return _from_zoo(spec, entry, tiny, seed)


@contextlib.contextmanager
def user_code(spec, what, errors=(Exception,)):
    """`errors` raised inside the block are the user's: one line, `--model SPEC: WHAT raised ...`."""
    try:
        yield
    except UsageError:
        raise
    except errors as e:
        message = " ".join(line.strip() for line in str(e).splitlines())
        raise UsageError(f"--model {spec}: {what} raised {type(e).__name__}: {message}") from None


def zoo_registry() -> dict:
    """{name: entry} of `tinygrad_udl.zoo.registry()`, looked up when called (tests replace it)."""
    zoo = importlib.import_module("tinygrad_udl.zoo")
    registry = getattr(zoo, "registry", None)
    if registry is not None and not callable(registry):  # the submodule zoo/registry.py
        registry = getattr(registry, "registry", None)
    return dict(registry()) if callable(registry) else {}


def parameter_count(model) -> int:
    return sum(int(np.size(p.data)) for _, p in model.named_parameters())


# ---- the zoo ------------------------------------------------------------------------------------------


def _from_zoo(name, entry, tiny, seed):
    model = entry.build(rng=seed, tiny=tiny)
    x, y = entry.example_inputs()
    loss_fn = entry.task.loss_fn
    loaded = LoadedModel(model, [x], lambda out: loss_fn(out, y))
    if tiny:
        loaded.about = {"model": name, "configuration": dict(getattr(entry, "tiny", None) or {}),
                        "parameters": parameter_count(model),
                        "full_parameters": parameter_count(entry.build(rng=seed, tiny=False)),
                        "examples": int(np.shape(x.data)[0]) if np.ndim(x.data) else 1, "seed": seed,
                        "loss": getattr(entry.task, "loss_name", "loss")}
    return loaded


# ---- MODULE:FACTORY -----------------------------------------------------------------------------------


def _import_factory(spec):
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"--model {spec}: give MODULE:FACTORY, e.g. my_models:make_model")
    _current_folder_on_path()
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise UsageError(f"--model {spec}: cannot import {module_name!r} ({e})") from None
    except Exception as e:  # the user's module failed while importing
        raise UsageError(f"--model {spec}: importing {module_name!r} raised {type(e).__name__}: {e}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise UsageError(f"--model {spec}: {module_name!r} has no callable {attr!r}")
    return factory


def _current_folder_on_path():
    """`python -m tinygrad_udl` starts with the current folder first on sys.path, but the
    `tinygrad-udl` console script starts with its own bin/ folder instead, so `--model
    my_models:make` would not find ./my_models.py there. Do what `python -m` does."""
    here = os.getcwd()
    if not any(os.path.abspath(p or os.curdir) == here for p in sys.path):
        sys.path.insert(0, here)


def _from_factory(spec, factory):
    """The factory's result, checked against the protocol in the module docstring."""
    with user_code(spec, "the factory"):
        made = factory()
        if isinstance(made, tuple):
            if len(made) not in (2, 3):
                raise UsageError(f"--model {spec}: the factory returned a tuple of {len(made)} items; expected "
                                 "(model, inputs) or (model, inputs, loss_fn)")
            return LoadedModel(*made)
        if hasattr(made, "example_inputs"):
            return LoadedModel(made, made.example_inputs())
    raise UsageError(f"--model {spec}: the factory returned a {type(made).__name__}; expected (model, inputs), "
                     "(model, inputs, loss_fn) or a model with example_inputs()")
