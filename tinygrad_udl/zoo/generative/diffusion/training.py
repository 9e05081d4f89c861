"""Training a diffusion model: Algorithm 18.1, with evaluations of the ε-prediction error.

Each step draws a batch of training examples, a time step t ~ U{1..T} and a noise vector ε ~ N(0, I)
per example, and takes one optimizer step on the simplified loss (eq. 18.39). The noise is fresh
at every step, so the model never sees the same (x, t, ε) twice. Evaluations (every `eval_every`
epochs and after the last step) measure the same loss on the training and test data with *fixed*
draws of t and ε (`EVALUATION_SEED`), so that the curves compare the model with itself rather than
with new noise.

The hyperparameters are those of `zoo.runner` (optimizer, lr, batch_size, steps or epochs,
eval_every in epochs) and `cosine`: when true, the learning rate decays from lr to 0 over the run
along a half cosine (`optim.CosineAnnealingLR`, stepped after every optimizer step), which lets the
last steps settle closer to the minimum of the noisy loss. `train_diffusion` is the entries' `trainer`.

The loss and its gradient are a compiled step (`tinygrad_udl.compile`; `compile=False` runs it
eagerly, with the same numbers): t and ε are drawn outside it (`DiffusionModel.noisy_batch`) and
passed in with z_t, and the optimizer steps after it, once the loss is known to be finite.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ....compile import compile as compile_step
from ....data import DataLoader
from ....optim import CosineAnnealingLR
from ....training import History, TrainingDiverged
from ....training.loop import _progress_bar
from ...runner import build_optimizer, seeds

__all__ = ["EVALUATION_SEED", "noise_mse", "train_diffusion", "fit_diffusion"]

EVALUATION_SEED = 12_345  # the fixed draws (t, ε) of every evaluation


def noise_mse(predict_noise, schedule, x, t=None, seed=EVALUATION_SEED) -> float:
    """Mean of (g_t[z_t] − ε)² over the examples x and their dimensions for a noise predictor
    `predict_noise(z, t)` (e.g. `DiffusionModel.predict_noise`), with z_t drawn from the kernel
    (eq. 18.7) with noise from `seed`; t fixed (an int) or, with t=None, drawn from U{1..T} per
    example (the loss of Algorithm 18.1). The same `seed` gives every predictor the same draws."""
    x = np.asarray(x, dtype=np.float64)
    gen = np.random.default_rng(seed)
    steps = gen.integers(1, schedule.steps + 1, size=len(x)) if t is None else t
    noise = gen.standard_normal(x.shape)
    z = schedule.diffuse(x, steps, noise)
    return float(np.mean((predict_noise(z, steps) - noise) ** 2))


def train_diffusion(entry, hyper, split, seed, progress=None, compile=True):
    """The zoo trainer: build `entry`'s model from `seed` and train it on `split.train`'s examples
    (their labels are not used); returns (model, History)."""
    model_rng, noise_rng, order_rng = seeds(seed, 3)
    model = entry.build(rng=model_rng)
    history = fit_diffusion(model, split, hyper, noise_rng=noise_rng, order_rng=order_rng, progress=progress,
                            desc=entry.name, compile=compile)
    return model, history


def fit_diffusion(model, split, hyper, noise_rng, order_rng, progress=None, desc="diffusion",
                  compile=True) -> History:
    """Algorithm 18.1 on the examples of `split.train` with `hyper`; the history records the
    ε-prediction error (`train_loss`, `test_loss`) of the untrained model and at every evaluation.
    `compile=False` runs the steps eagerly."""
    x_train, x_test = (np.asarray(data[0]) for data in (split.train, split.test))
    loader = DataLoader(x_train, batch_size=hyper["batch_size"], shuffle=True, rng=order_rng)
    total = hyper["steps"] if "steps" in hyper else hyper["epochs"] * len(loader)
    eval_every = hyper.get("eval_every", 1)
    optimizer = build_optimizer(model.parameters(), hyper)
    scheduler = CosineAnnealingLR(optimizer, T_max=total) if hyper.get("cosine") else None
    start = time.perf_counter()

    def loss_and_gradient(z, t, noise):   # eq. 18.39 for given draws, and its gradient
        loss = model.prediction_errors(z, t, noise).mean()
        optimizer.zero_grad()
        loss.backward()
        return loss

    if compile:
        loss_and_gradient = compile_step(loss_and_gradient)

    def evaluation(epoch, step):
        model.eval()
        row = {"epoch": epoch, "step": step, "lr": optimizer.param_groups[0]["lr"],
               "train_loss": noise_mse(model.predict_noise, model.schedule, x_train),
               "test_loss": noise_mse(model.predict_noise, model.schedule, x_test),
               "seconds": round(time.perf_counter() - start, 3)}
        model.train()
        return row

    history = History(info={"steps": total, "batch_size": hyper["batch_size"], "steps_per_epoch": len(loader)})
    history.append(evaluation(0, 0))
    bar = _progress_bar(total, desc, progress)
    step = epoch = 0
    try:
        while step < total:
            epoch += 1
            for xb in loader:
                # fresh t and ε (Algorithm 18.1), drawn as `model.loss` draws them
                value = float(loss_and_gradient(*model.noisy_batch(xb, noise_rng)).item())
                if not math.isfinite(value):              # checked before the step: the weights stay finite
                    raise TrainingDiverged(f"{desc}: the loss is {value} at step {step + 1}; lower the learning "
                                           "rate (--lr)")
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                step += 1
                bar.update(1)
                if step % 10 == 0:
                    bar.set_postfix(loss=f"{value:.4f}", test=f"{history.last['test_loss']:.4f}", refresh=False)
                if step == total:
                    break
            if epoch % eval_every == 0 or step == total:
                history.append(evaluation(epoch, step))
    finally:
        bar.close()
    history.info.update(epochs=epoch, epochs_run=epoch, steps_run=step, seconds=round(time.perf_counter() - start, 3))
    return history
