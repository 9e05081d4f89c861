"""Training a VAE (section 17.6.1): mini-batches of the negative ELBO, with fresh reparameterisation
noise for every batch (eq. 17.25), and a history of the ELBO and its two terms.

Each history row holds, for the training and the test data, the mean per example of the ELBO,
its reconstruction term E_q[log Pr(x | z)] and its KL term D_KL[q(z | x) ‖ Pr(z)] (eq. 17.18),
plus `<split>_loss` = −ELBO (what `plot_history` draws). Evaluations use a fixed noise seed, so
two rows differ only by the parameters. `info["kl_per_dimension"]` is the test set's mean KL of
each latent dimension after training: posterior collapse shows as dimensions with KL ≈ 0.

Hyperparameters (`ZooEntry.hyperparameters`): optimizer, lr, batch_size, steps (or epochs),
eval_every (epochs), and `kl_warmup` (optional, steps): the KL term's weight rises linearly from
0 to 1 over that many steps (the optimisation schedule that mitigates posterior collapse,
Bowman et al., 2015; chapter 17's notes).

The steps are compiled (`tinygrad_udl.compile`; `compile=False` runs them eagerly, with the same
numbers): ε* is a recorded draw from the noise generator, and the KL weight reaches the step as
an argument (a 0-d array), so that one program serves the whole warm-up.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from ....autograd.graph import no_grad
from ....compile import compile as compile_step
from ....data import DataLoader
from ....training import History, TrainingDiverged
from ...runner import build_optimizer, seeds

EVAL_NOISE_SEED = 12345   # the evaluations' fixed noise stream
EVAL_BATCH = 500


def evaluate_vae(model, x, rng=EVAL_NOISE_SEED) -> dict:
    """Mean ELBO, reconstruction and KL per example on `x`, and the mean KL per latent dimension."""
    gen = np.random.default_rng(rng)
    totals, kl_dims = np.zeros(2), np.zeros(model.latent_dim)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for start in range(0, len(x), EVAL_BATCH):
                reconstruction, kl = model.elbo_terms(x[start:start + EVAL_BATCH], gen)
                totals += [reconstruction.data.sum(), kl.data.sum()]
                kl_dims += kl.data.sum(0)
    finally:
        model.train(was_training)
    reconstruction, kl = totals / len(x)
    return {"elbo": float(reconstruction - kl), "reconstruction": float(reconstruction), "kl": float(kl),
            "kl_per_dimension": kl_dims / len(x)}


def _row(model, split, **fields):
    row = dict(fields)
    for name, (x, _) in (("train", split.train), ("test", split.test)):
        result = evaluate_vae(model, x)
        for key in ("elbo", "reconstruction", "kl"):
            row[f"{name}_{key}"] = result[key]
        row[f"{name}_loss"] = -result["elbo"]
    return row


def _total_steps(hyper, per_epoch):
    return hyper["steps"] if "steps" in hyper else hyper["epochs"] * per_epoch


def _progress_bar(total, desc, progress):
    from tqdm.auto import tqdm  # a dependency; imported here as `training.fit` does

    return tqdm(total=total, desc=desc, unit="step", disable=not (sys.stdout.isatty() if progress is None else progress),
                file=sys.stdout, dynamic_ncols=True, mininterval=0.2)


def _training_step(model, optimizer, noise_rng, compile):
    """(batch, KL weight as a 0-d array of the model's dtype) -> the loss −mean ELBO, after one
    optimizer step; compiled unless `compile=False`."""
    def step(x, kl_weight):
        loss = -model.elbo(x, noise_rng, kl_weight=kl_weight).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return compile_step(step) if compile else step


def train_vae(entry, hyper, split, seed, progress=None, compile=True):
    """The zoo trainer of the VAE entries: (model, History). Every random choice (initialisation,
    batch order, reparameterisation noise) comes from `seed`. `compile=False`: eager steps."""
    model_rng, batch_rng, noise_rng = seeds(seed, 3)
    model = entry.build(rng=model_rng)
    optimizer = build_optimizer(model.parameters(), hyper)
    train_step = _training_step(model, optimizer, noise_rng, entry.compiles(compile))
    dtype = model._dtype()
    x_train = split.train[0]
    loader = DataLoader(x_train, batch_size=hyper["batch_size"], shuffle=True, rng=batch_rng)
    total = _total_steps(hyper, len(loader))
    warmup = hyper.get("kl_warmup", 0)
    start = time.perf_counter()
    history = History(info={"steps": total, "batch_size": hyper["batch_size"], "steps_per_epoch": len(loader)})
    history.append(_row(model, split, epoch=0, step=0, seconds=0.0))
    bar = _progress_bar(total, entry.name, progress)
    step = epoch = 0
    try:
        while step < total:
            epoch += 1
            model.train()
            for xb in loader:
                kl_weight = min(1.0, step / warmup) if warmup else 1.0
                # the weight as the step's argument: what `kl_weight * kl` makes of a Python float
                loss = train_step(np.asarray(xb, dtype), np.asarray(kl_weight, dtype))
                step += 1
                if not math.isfinite(loss.item()):
                    raise TrainingDiverged(f"{entry.name}: the loss became {loss.item()} at step {step}; "
                                           "lower the learning rate (--lr)")
                bar.update(1)
                if step == total:
                    break
            if epoch % hyper.get("eval_every", 1) == 0 or step == total:
                history.append(_row(model, split, epoch=epoch, step=step, kl_weight=kl_weight,
                                    seconds=round(time.perf_counter() - start, 3)))
                bar.set_postfix({"test_elbo": f"{history.last['test_elbo']:.3f}"})
    finally:
        bar.close()
    history.info.update(epochs=epoch, epochs_run=epoch, steps_run=step, seconds=round(time.perf_counter() - start, 3),
                        kl_per_dimension=evaluate_vae(model, split.test[0])["kl_per_dimension"].tolist())
    return model, history
