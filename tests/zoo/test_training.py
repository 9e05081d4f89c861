"""A short training run of every zoo entry: the loss must fall and the model must beat a trivial
predictor by a clear margin.

The runs use the entries' own tasks, losses and optimizers, shortened (and for the ResNet made
smaller) to keep this file fast. The thresholds leave a margin around what was measured over
seeds 0-3 (in the comments); the trivial predictors are computed here from the data:
classification chance = 1 − (frequency of the most common class); regression: the variance of
the test targets (the MSE of predicting a constant) or the NLL of one fitted normal.
"""
import dataclasses

import numpy as np
import pytest

from tinygrad_udl.zoo.supervised.linear_regression import closed_form
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.runner import run

# name: (overrides of the run, smaller model or None, the bound on the final test error (%))
CLASSIFIERS = {
    "binary-classifier": (dict(epochs=30), None, 15.0),            # measured 3.6-4.7 %; chance 50 %
    "multiclass-classifier": (dict(epochs=60), None, 25.0),        # 4.8-5.3 %; chance 67 %
    "mnist1d-mlp": (dict(steps=300), None, 72.0),                  # 53-56 %; chance 90 %
    "mnist1d-l2": (dict(steps=300), None, 72.0),                   # 54-56 %
    "mnist1d-early-stopping": (dict(steps=300), None, 72.0),       # 54-56 %
    "mnist1d-dropout": (dict(steps=600), None, 78.0),              # 65-69 %
    "mnist1d-augment": (dict(steps=300), None, 74.0),              # 55-59 %
    "mnist1d-ensemble": (dict(steps=120), None, 75.0),             # 60-61 %
    "mnist1d-cnn": (dict(steps=600, lr=0.1), None, 65.0),          # 37-44 %
    "mnist1d-fc": (dict(steps=300, lr=0.1), None, 70.0),           # 51-55 %
    "resnet1d": (dict(steps=200), {"channels": 8, "blocks": 1}, 75.0),  # 45-56 %
    "unet1d": (dict(epochs=3), None, 12.0),                        # 3.2-4.8 % per sample; chance 28 %
}


def _chance_error(y_train, y_test):
    values, counts = np.unique(y_train, return_counts=True)
    majority = values[np.argmax(counts)]
    return 100.0 * np.mean(y_test != majority)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_learns(name):
    overrides, model_kwargs, bound = CLASSIFIERS[name]
    entry = registry()[name]
    if model_kwargs is not None:
        entry = dataclasses.replace(entry, model_kwargs=model_kwargs)
    result = run(entry, seed=0, progress=False, **overrides)
    history = result.history
    split = entry.task.load()
    chance = _chance_error(split.train[1], split.test[1])
    assert history.final["test_error"] < bound < chance
    assert history.final["train_loss"] < 0.8 * history[0]["train_loss"]
    assert result.rows[0]["metric"] == "test error (%)" and result.rows[0]["ours"] == history.final["test_error"]


@pytest.mark.parametrize("name, overrides", [("shallow", dict(epochs=60)), ("deep", dict(epochs=60))])
def test_regression_networks_learn(name, overrides):
    # measured test MSE 0.10-0.26 (shallow), 0.11 (deep); noise variance 0.09; var(y_test) ~ 0.9
    entry = registry()[name]
    history = run(entry, seed=0, progress=False, **overrides).history
    y_test = entry.task.load().test[1]
    assert history.last["test_loss"] < 0.4 * np.var(y_test)
    assert history.last["train_loss"] < 0.2 * history[0]["train_loss"]


def test_gaussian_regression_learns_the_mean_and_the_variance():
    # measured test NLL -0.00 to 0.05 after 100 epochs (true distribution: -0.02); one fitted normal: 1.30
    entry = registry()["gaussian-regression"]
    history = run(entry, seed=0, epochs=100, progress=False).history
    (_, y_train), (_, y_test) = entry.task.load().train, entry.task.load().test
    mu, var = y_train.mean(), y_train.var()
    one_normal = np.mean(0.5 * np.log(2 * np.pi * var) + (y_test - mu) ** 2 / (2 * var))
    assert history.last["test_loss"] < one_normal - 0.8


def test_linear_regression_descends_to_the_closed_form_minimum():
    entry = registry()["linear-regression"]
    result = run(entry, seed=0, progress=False)
    x, y = entry.task.load().train
    # normal equations, written here: [1 x]ᵀ[1 x] φ = [1 x]ᵀ y
    design = np.concatenate([np.ones((len(x), 1)), x.astype(np.float64)], axis=1)
    phi = np.linalg.solve(design.T @ design, design.T @ y.astype(np.float64)).ravel()
    np.testing.assert_allclose(result.model.phi, phi, atol=1e-3)
    np.testing.assert_allclose(closed_form(x, y), phi, atol=1e-9)
    loss_row = next(r for r in result.rows if r["metric"].startswith("loss L after descent"))
    assert loss_row["book"] == 0.19 and loss_row["ours"] == pytest.approx(np.sum((design @ phi - y.ravel()) ** 2),
                                                                          rel=1e-4)
