"""Short training runs of chapter 17's zoo entries: the ELBO must rise past a baseline computed
here, the history must track the ELBO's two terms, and the result rows must hold the references."""
import dataclasses

import numpy as np
import pytest
from scipy.stats import norm

from tinygrad_udl.zoo.generative.vae import entries as vae_entries
from tinygrad_udl.zoo.generative.vae import train_vae
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.runner import run


def short(name, **model_kwargs):
    entry = registry()[name]
    return dataclasses.replace(entry, model_kwargs={**entry.model_kwargs, **model_kwargs})


def test_digits_vae_beats_independent_pixels_quickly():
    # measured: test ELBO −21.6 after 300 steps; independent Bernoulli pixels −24.6; untrained −64
    entry = short("vae-digits")
    result = run(entry, steps=300, progress=False)
    history = result.history
    (x_train, _), (x_test, _) = entry.task.load().train, entry.task.load().test
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    p = (x_train.sum(0) + 1) / (len(x_train) + 2)
    independent = (x_test * np.log(p) + (1 - x_test) * np.log1p(-p)).sum(1).mean()
    assert history.final["test_elbo"] > independent + 1.0 > history[0]["test_elbo"]
    for split in ("train", "test"):   # the ELBO's two terms (eq. 17.18) are in every row
        for row in history.rows:
            assert row[f"{split}_elbo"] == pytest.approx(row[f"{split}_reconstruction"] - row[f"{split}_kl"])
            assert row[f"{split}_kl"] >= 0
    rows = {row["metric"]: row["ours"] for row in result.rows}
    bounds = [rows[f"test IWAE bound L_{k}"] for k in (1, 10, 100, 1000)]
    assert bounds == sorted(bounds) and bounds[-1] - bounds[0] > 0.1   # the bound rises with K
    assert rows["test log-likelihood of independent pixels"] == pytest.approx(independent)
    assert len(history.info["kl_per_dimension"]) == 8


def test_mnist1d_vae_uses_its_latents():
    # A VAE whose latents all collapse is a diagonal Gaussian; the short run must beat the best one.
    # measured: test ELBO −51.4 after 600 steps from −236; the diagonal Gaussian: −56.7
    entry = registry()["vae-mnist1d"]
    split = entry.task.load()
    _, history = train_vae(entry, {**entry.hyperparameters, "steps": 600, "eval_every": 100}, split, seed=0)
    x_train, x_test = split.train[0], split.test[0]
    diagonal = norm(x_train.mean(0), x_train.std(0)).logpdf(x_test).sum(1).mean()
    assert history.final["test_elbo"] > diagonal + 3 > history[0]["test_elbo"]


def test_linear_vae_approaches_its_exact_log_likelihood():
    # measured after 300 steps: test ELBO −10.78, exact log-likelihood of the trained model −10.6
    entry = registry()["vae-linear-ppca"]
    result = run(entry, steps=300, progress=False)
    rows = {row["metric"]: row["ours"] for row in result.rows}
    exact = rows["exact test log-likelihood of the trained model"]
    assert rows["test ELBO (one-sample estimate)"] < exact
    assert rows["test IWAE bound L_1000"] < exact + 0.01
    assert exact > result.history[0]["test_elbo"] + 30
    assert rows["exact test log-likelihood of the maximum-likelihood PPCA"] >= exact - 0.5


def test_posterior_collapse_matches_the_prediction():
    # with the decoder variance fixed at 1.5, two of the four latent dimensions collapse
    result = run(registry()["vae-collapse"], steps=1500, progress=False)
    active = next(row for row in result.rows if row["metric"].startswith("active latent"))
    assert active["ours"] == 2 and "exact: 2" in active["note"]
    kls = [row["ours"] for row in result.rows if row["metric"].startswith("KL of latent")]
    assert kls[0] > kls[1] > 0.1 and max(kls[2:]) < 0.01


def test_the_entries_and_their_pictures(tmp_path):
    names = [e.name for e in vae_entries.entries()]
    assert names == ["vae-digits", "vae-mnist1d", "vae-linear-ppca", "vae-collapse"]
    for name in names:
        entry = registry()[name]
        assert "17." in entry.section and "eq" in entry.factory.__doc__
    pytest.importorskip("matplotlib")
    for name in ("vae-digits", "vae-mnist1d"):
        entry = registry()[name]
        (path,) = entry.pictures(entry.build(tiny=True), None, entry.task.load(), tmp_path / name)
        assert path.read_bytes()[:4] == b"\x89PNG"
