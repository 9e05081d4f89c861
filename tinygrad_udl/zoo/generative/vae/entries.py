"""The zoo entries of chapter 17 (variational autoencoders): ELBO, reconstruction and KL terms in
the history, the importance-weighted bound as the estimate of log Pr(x), and references computed
independently of the VAE: closed-form log-likelihoods (probabilistic PCA, one Gaussian, independent
pixels) and the closed-form prediction of posterior collapse."""
from __future__ import annotations

import functools

import numpy as np

from ....autograd.graph import no_grad
from ...registry import ZooEntry
from .figures import plot_vae
from .linear import LinearVAE, collapse_prediction, gaussian_log_pdf, ppca_fit, ppca_log_likelihood
from .model import MLPVAE
from .tasks import PPCA_DATA_DIM, PPCA_LATENT_DIM, PPCA_MEAN, PPCA_NOISE_STD, PPCA_WEIGHT, TASKS
from .training import EVAL_NOISE_SEED, evaluate_vae, train_vae

IWAE_SAMPLES = (1, 10, 100, 1000)
IWAE_BATCH = 100          # examples per IWAE pass (memory: samples × batch × D_x numbers)
ACTIVE_KL = 0.01          # nats: a latent dimension with a smaller mean KL counts as collapsed
COLLAPSE_VARIANCE = 1.5   # the fixed decoder variance of vae-collapse (between the eigenvalues 2.25 and 1.25)


def iwae_bound(model, x, samples, rng=EVAL_NOISE_SEED) -> float:
    """The mean importance-weighted bound L_K over the rows of `x` (K = `samples`)."""
    gen = np.random.default_rng(rng)
    with no_grad():
        return float(np.concatenate([model.iwae(x[i:i + IWAE_BATCH], samples, gen).data
                                     for i in range(0, len(x), IWAE_BATCH)]).mean())


def _bound_rows(model, x_test):
    rows = [{"metric": "test ELBO (one-sample estimate)", "book": None, "ours": evaluate_vae(model, x_test)["elbo"],
             "note": "a lower bound on log Pr(x) (eq. 17.18)"}]
    for k in IWAE_SAMPLES:
        rows.append({"metric": f"test IWAE bound L_{k}", "book": None, "ours": iwae_bound(model, x_test, k),
                     "note": "rises with K towards log Pr(x)" if k == IWAE_SAMPLES[-1] else None})
    return rows


def _active_row(history):
    kl = np.asarray(history.info["kl_per_dimension"])
    return {"metric": f"active latent dimensions (mean KL > {ACTIVE_KL} nats)", "book": None,
            "ours": int((kl > ACTIVE_KL).sum()), "note": "KL per dimension: " + ", ".join(f"{v:.2f}" for v in kl)}


def _flat(x):
    return np.asarray(x, np.float64).reshape(len(x), -1)


def _digits_rows(model, history, split):
    x_train, x_test = _flat(split.train[0]), _flat(split.test[0])
    pixels = (x_train.sum(0) + 1) / (len(x_train) + 2)   # add-one smoothing: no probability 0 or 1
    independent = (x_test * np.log(pixels) + (1 - x_test) * np.log1p(-pixels)).sum(1).mean()
    return [*_bound_rows(model, split.test[0]), _active_row(history),
            {"metric": "test log-likelihood of independent pixels", "book": None, "ours": float(independent),
             "note": "baseline, exact: one Bernoulli per pixel fitted to the training images (add-one smoothing)"}]


def _mnist1d_rows(model, history, split):
    x_train, x_test = _flat(split.train[0]), _flat(split.test[0])
    weight, mean, noise = ppca_fit(x_train, model.latent_dim)
    return [*_bound_rows(model, split.test[0]), _active_row(history),
            {"metric": "test log-likelihood of one full-covariance Gaussian", "book": None,
             "ours": float(gaussian_log_pdf(x_test, x_train.mean(0), np.cov(x_train, rowvar=False, bias=True)).mean()),
             "note": "baseline, exact (maximum likelihood on the training signals)"},
            {"metric": f"test log-likelihood of probabilistic PCA, D_z = {model.latent_dim}", "book": None,
             "ours": float(ppca_log_likelihood(x_test, weight, mean, noise).mean()),
             "note": "baseline, exact: the best linear VAE (closed-form maximum likelihood)"}]


def _linear_rows(model, history, split):
    x_train, x_test = _flat(split.train[0]), _flat(split.test[0])
    weight, mean, noise = ppca_fit(x_train, model.latent_dim)
    with no_grad():
        exact = float(model.exact_log_likelihood(split.test[0]).data.mean())
    return [*_bound_rows(model, split.test[0]),
            {"metric": "exact test log-likelihood of the trained model", "book": None, "ours": exact,
             "note": "closed form: log N(x; mu, W W^T + sigma^2 I); every bound is below it"},
            {"metric": "exact test log-likelihood of the maximum-likelihood PPCA", "book": None,
             "ours": float(ppca_log_likelihood(x_test, weight, mean, noise).mean()),
             "note": "closed form (Tipping & Bishop) on the training data"},
            {"metric": "exact test log-likelihood of the generating model", "book": None,
             "ours": float(ppca_log_likelihood(x_test, PPCA_WEIGHT, PPCA_MEAN, PPCA_NOISE_STD ** 2).mean()),
             "note": "the true W, mu, sigma"}]


def _collapse_rows(model, history, split):
    ours = np.sort(np.asarray(history.info["kl_per_dimension"]))[::-1]
    train_kl = np.sort(evaluate_vae(model, split.train[0])["kl_per_dimension"])[::-1]
    predicted = collapse_prediction(_flat(split.train[0]), model.latent_dim, COLLAPSE_VARIANCE)
    rows = [{"metric": f"KL of latent dimension {i + 1} (training data, sorted)", "book": None, "ours": float(o),
             "note": f"exact optimum 1/2 log(lambda_{i + 1}/sigma^2) = {p:.4f}" if p > 0 else
             "exact optimum 0: collapsed, its posterior is the prior"}
            for i, (p, o) in enumerate(zip(predicted, train_kl))]
    rows.append({"metric": f"active latent dimensions (mean KL > {ACTIVE_KL} nats)", "book": None,
                 "ours": int((train_kl > ACTIVE_KL).sum()),
                 "note": f"exact: {int((predicted > 0).sum())} (eigenvalues of the data's covariance above the fixed "
                         f"decoder variance {COLLAPSE_VARIANCE}; the true latent of variance 1 + 0.25 collapses); "
                         "test KLs: " + ", ".join(f"{v:.3f}" for v in ours)})
    return rows


def _pictures(name, section, image_shape, model, history, split, out) -> list:
    """`out/samples.png`: test examples, their reconstructions and samples (`train NAME --plot`)."""
    return [plot_vae(model, split.test[0], f"{out}/samples.png", image_shape=image_shape,
                     title=f"{name} ({section})")]


ADAM = {"optimizer": "adam", "lr": 0.001}
SOURCE = "ours: the book trains no VAE on these data; Adam"
REFERENCE_NOTE = {"test_loss": "no book value: compare with the bounds and baselines below"}


def _entry(name, section, description, factory, task, hyper, model_kwargs, tiny, rows, book=None, pictures=False):
    return ZooEntry(name, section, description, factory, TASKS[task], {**ADAM, **hyper},
                    SOURCE + ", " + ", ".join(f"{k} {v}" for k, v in hyper.items() if k != "eval_every"),
                    book=book or {}, notes=REFERENCE_NOTE, model_kwargs=model_kwargs, tiny=tiny,
                    metrics=("test_loss", "train_loss", "parameters"), extra_rows=rows, trainer=train_vae,
                    pictures=functools.partial(_pictures, name, section, (8, 8) if task == "binary-digits" else None)
                    if pictures else None)


def entries() -> list:
    """The entries of chapter 17, in book order."""
    return [
        _entry("vae-digits", "17.6-17.7, eqs. 17.18-17.25", "MLP VAE, Bernoulli decoder, D_z = 8, binarised 8x8 digits",
               MLPVAE, "binary-digits", {"batch_size": 64, "steps": 6000, "eval_every": 25},
               {"data_dim": 64, "latent_dim": 8, "hidden": (128,)}, {"data_dim": 64, "latent_dim": 2, "hidden": (3,)},
               _digits_rows, pictures=True),
        _entry("vae-mnist1d", "17.6-17.7, eqs. 17.18-17.25", "MLP VAE, Gaussian decoder, D_z = 8, MNIST-1D signals",
               MLPVAE, "mnist1d-signals", {"batch_size": 100, "steps": 6000, "eval_every": 25},
               {"data_dim": 40, "latent_dim": 8, "hidden": (128,), "likelihood": "gaussian"},
               {"data_dim": 40, "latent_dim": 2, "hidden": (3,), "likelihood": "gaussian"}, _mnist1d_rows, pictures=True),
        _entry("vae-linear-ppca", "17.1-17.7 (notes: probabilistic PCA)",
               "linear VAE on probabilistic-PCA data: ELBO and IWAE against the exact log-likelihood",
               LinearVAE, "ppca", {"lr": 0.01, "batch_size": 100, "steps": 3000, "eval_every": 10},
               {"data_dim": PPCA_DATA_DIM, "latent_dim": PPCA_LATENT_DIM}, {"data_dim": PPCA_DATA_DIM, "latent_dim": 2},
               _linear_rows),
        _entry("vae-collapse", "17.9 notes: posterior collapse",
               f"linear VAE, D_z = 4, decoder variance fixed at {COLLAPSE_VARIANCE}: latent dimensions collapse",
               LinearVAE, "ppca", {"lr": 0.01, "batch_size": 100, "steps": 3000, "eval_every": 10},
               {"data_dim": PPCA_DATA_DIM, "latent_dim": 4, "decoder_variance": COLLAPSE_VARIANCE},
               {"data_dim": PPCA_DATA_DIM, "latent_dim": 2, "decoder_variance": COLLAPSE_VARIANCE}, _collapse_rows),
    ]
