"""Short training runs of chapter 16's zoo entries: the NLL must fall and beat one Gaussian fitted
to the training points (computed here with scipy), and the registry must list the entries with
their references."""
import dataclasses

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from tinygrad_udl.zoo.generative.flows import entries as flow_entries
from tinygrad_udl.zoo.generative.flows.tasks import density_split
from tinygrad_udl.zoo.registry import PARTS, registry
from tinygrad_udl.zoo.runner import result_rows, train_model

# name: (overrides of the run, smaller model, the margin in nats by which the flow must beat one
# Gaussian). The linear-elementwise flow contains the Gaussians (identity warps) but learns slowly
# (section 16.3.2: "not sufficiently expressive"): in a short run it must come within 0.1 nats of
# the best of them. Short runs take larger steps than the entries' defaults.
RUNS = {
    "flow-linear-elementwise": ({"steps": 300, "lr": 0.03}, {"layers": 2, "bins": 6}, -0.1),  # Gaussian 3.10, flow 3.10
    "flow-realnvp": ({"steps": 200}, {"layers": 4, "hidden": (32,)}, 0.1),                      # Gaussian 1.91, flow 1.7
    "flow-maf": ({"steps": 200}, {"layers": 3, "hidden": (32,)}, 0.3),                          # Gaussian 3.53, flow 2.58
    "flow-iresnet": ({"steps": 300, "lr": 0.01}, {"layers": 4, "hidden": (32,)}, 0.1),          # Gaussian 1.91, flow 1.75
}


def gaussian_nll(name):
    (x_train, _), (x_test, _) = density_split(name).train, density_split(name).test
    fitted = multivariate_normal(x_train.mean(0), np.cov(x_train, rowvar=False, bias=True))
    return -fitted.logpdf(x_test).mean()


@pytest.mark.parametrize("name", list(RUNS))
def test_a_short_run_beats_one_gaussian(name):
    overrides, model_kwargs, margin = RUNS[name]
    entry = dataclasses.replace(registry()[name], model_kwargs=model_kwargs)
    split = entry.task.load()
    hyper = {**entry.hyperparameters, **overrides, "eval_every": 1_000}
    model, history = train_model(entry, hyper, split, seed=0, progress=False)
    density_name = entry.task.name.removeprefix("density-")
    assert history.final["test_loss"] < history[0]["test_loss"]
    assert history.final["test_loss"] < gaussian_nll(density_name) - margin


def test_the_entries_are_registered_with_their_references():
    assert PARTS.index("supervised") < PARTS.index("generative.flows") < PARTS.index("generative.vae")
    names = [e.name for e in flow_entries.entries()]
    assert names == ["flow-linear-elementwise", "flow-realnvp", "flow-maf", "flow-iresnet"]
    for name in names:
        entry = registry()[name]
        assert "16." in entry.section and "eq" in entry.factory.__doc__
        assert entry.build().num_parameters() == entry.build(rng=1).num_parameters() > 0


def test_the_result_table_prints_the_entropy_and_a_normalised_density():
    entry = registry()["flow-maf"]
    model = entry.build(tiny=True)
    split = entry.task.load()
    from tinygrad_udl.training import History
    history = History([{"step": 0, "epoch": 0, "train_loss": 1.0, "test_loss": 1.0}])
    rows = {row["metric"]: row for row in result_rows(entry, model, history, split)}
    # 8 Gaussians of std 0.05: H = log 8 + log(2πe · 0.05²), the components barely overlap
    assert rows["entropy H[p] (nats; the lowest expected NLL)"]["ours"] == pytest.approx(
        np.log(8) + np.log(2 * np.pi * np.e * 0.05 ** 2), abs=1e-6)
    assert rows["mass of the learned density on a grid"]["ours"] == pytest.approx(1.0, abs=1e-3)


def test_the_density_picture(tmp_path):
    pytest.importorskip("matplotlib")
    entry = registry()["flow-maf"]
    (path,) = entry.pictures(entry.build(tiny=True), None, None, tmp_path)
    assert path.read_bytes()[:4] == b"\x89PNG"
