"""Every zoo entry trains the same with compiled steps (the default) as with `compile=False`
(`tinygrad-udl train NAME --no-compile`): bit for bit the same history, trained parameters and
buffers, optimizer states and random generators afterwards; and no compiled step falls back to
eager mode (a `CompileWarning`), so a regression to eager steps shows here.

The registry is iterated, so a new entry is covered without a change here. Each run is shortened
(a few steps on the first examples of its data, the entry's tiny model, the hyperparameters in
`SHORTER` that bound what a step does) to keep the file fast; the comparison is what matters,
not what is learned. Entries with an `eager_reason` train eagerly either way (checked: nothing is
compiled), and the reason is checked to still hold: forced through a compiled step, their step
does fall back.
"""
import dataclasses

import numpy as np
import pytest
from compile_runs import common_seeds, module_generators, parameters, recording, without_seconds

from tinygrad_udl.compile import CompileWarning
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.runner import run

TRAIN_EXAMPLES, TEST_EXAMPLES = 192, 96
STEPS = 4                  # traced twice, then replayed
BATCH = 16

# hyperparameters that bound the work of a run beyond its steps and batch size
SHORTER = {
    "mnist1d-ensemble": {"steps": 3},
    "bert-classify": {"pretrain_steps": 2, "steps": 3},
    "gcn-oversmoothing": {"depths": (2,), "variants": ("residual", "enhanced"), "repeats": 1, "steps": 3},
    "gan-1d": {"critic_steps": 2, "eval_every": 2},
    "gan-ring": {"eval_every": 2},
    "wgan-ring": {"eval_every": 2},
    "wgan-gp-ring": {"eval_every": 2},
    "wgan-1d": {"eval_every": 2},
    "dcgan-digits": {"eval_every": 2},
    "gridworld-dp": {"steps": 3},
    "gridworld-q-learning": {"steps": 5},
    "dqn-gridworld": {"steps": 40, "learning_starts": 8, "train_every": 4, "batch_size": 8, "target_update": 12,
                      "record_every": 20},
    "dqn-cartpole": {"steps": 40, "learning_starts": 8, "train_every": 8, "gradient_steps": 3, "batch_size": 8,
                     "target_update": 16, "exploration_steps": 20, "record_every": 20},
    "reinforce-cartpole": {"steps": 2, "episodes_per_iteration": 2, "value_steps": 3, "record_every": 1},
    "actor-critic-cartpole": {"steps": 48, "n_envs": 2, "n_steps": 4, "record_every": 16},
}
# entries whose training has no compiled step at all, and why
NOTHING_TO_COMPILE = {
    "gridworld-dp": "dynamic programming: sweeps of the Bellman equation in numpy, no gradient step",
    "gridworld-q-learning": "tabular Q-learning: a table updated in numpy, no gradient step",
    "wgan-1d": "the critic's gradient penalty differentiates a gradient (create_graph=True); the generator is fixed",
    "reinforce-cartpole": "every policy step sees episodes of new lengths: new shapes at every step (rl/agents.py)",
}


def _head(pair, n):
    return tuple(a[:n] for a in pair)


def _short(entry):
    """The entry with its tiny model, a slice of its data and the hyperparameters of a short run."""
    split = entry.task.load()
    smaller = dataclasses.replace(split, train=_head(split.train, TRAIN_EXAMPLES),
                                  test=_head(split.test, TEST_EXAMPLES))
    hyper = {**entry.hyperparameters, "steps": STEPS, **SHORTER.get(entry.name, {})}
    hyper.pop("epochs", None)
    if "batch_size" in hyper:
        hyper["batch_size"] = min(hyper["batch_size"], BATCH)
    task = dataclasses.replace(entry.task, load=lambda: smaller)
    return dataclasses.replace(entry, model_kwargs=entry.tiny, task=task, hyperparameters=hyper, extra_rows=None,
                               pictures=None)


def _train(entry, compiled, monkeypatch):
    """Run `entry`: (what must agree between the two modes, the `Recording` of the run)."""
    with recording(monkeypatch) as made:
        result = run(entry, seed=0, progress=False, compile=compiled)
    model = result.model
    outcome = {"rows": without_seconds(result.history.rows), "info": without_seconds(dict(result.history.info)),
               "state": parameters(model) if hasattr(model, "state_dict") else {},
               "optimizers": made.optimizer_states(model) if hasattr(model, "parameters") else [],
               "generators": module_generators(model), "seeded": made.generator_states()}
    return outcome, made


@pytest.mark.parametrize("name", list(registry()))
def test_compiled_training_equals_eager_training(name, monkeypatch):
    entry = _short(registry()[name])
    if getattr(entry.task.load(), "make_env", None) is not None:   # the agents act in gymnasium environments
        pytest.importorskip("gymnasium")
    # compiled first: a helper trained once and cached (a reference classifier) is trained there
    compiled, made = _train(entry, True, monkeypatch)
    eager, made_eagerly = _train(entry, False, monkeypatch)
    assert not made_eagerly.compiled
    assert not made.fallbacks, made.fallbacks
    compiled["seeded"], eager["seeded"] = common_seeds(compiled["seeded"], eager["seeded"])
    np.testing.assert_equal(compiled, eager)
    if entry.eager_reason is not None or name in NOTHING_TO_COMPILE:
        assert not made.compiled
    else:
        assert made.replayed(), f"{name}: no compiled step was replayed ({[f.stats() for f in made.compiled]})"


@pytest.mark.parametrize("name", [name for name, entry in registry().items() if entry.eager_reason is not None])
def test_the_eager_reason_still_holds(name):
    # without the reason, its steps are compiled and fall back with a warning. If this fails,
    # compile learned to replay the step: drop the entry's eager_reason.
    entry = dataclasses.replace(_short(registry()[name]), eager_reason=None)
    with pytest.warns(CompileWarning):
        run(entry, progress=False)
