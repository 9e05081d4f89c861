"""Alternating training of the two players (section 15.1.2), the zoo's trainer for chapter 15.

"At each step, we draw a batch of latent variables z_j ... Then we choose a batch of real
training examples x_i. Given the two batches, we can now perform one or more gradient descent
steps on each loss function." One *step* here is `critic_steps` updates of the discriminator (each
on a new real batch, the generated samples held fixed) followed by one update of the generator;
a generator without parameters (a fixed distribution whose Wasserstein distance the critic
estimates) is not updated. Each player has its own optimizer.

Hyperparameters (`ZooEntry.hyperparameters`, the runner's overrides apply):

    optimizer     "adam" (with `betas`; DCGAN's "lower momentum coefficient", section 15.1.4),
                  "rmsprop" (the original WGAN's) or "sgd"
    lr            learning rate of the discriminator (and of the generator unless `generator_lr`)
    generator_lr  the generator's own learning rate (a slower generator keeps the critic ahead)
    batch_size    real examples per discriminator step (and generated examples per step)
    steps         generator steps; or `epochs`, passes of the discriminator over the real data
    critic_steps  discriminator steps per generator step (the WGAN papers: 5)
    eval_every    record a history row every this many steps

Every row has `train_loss` and `test_loss`: the discriminator's loss per pair (eq. 15.3, or eq.
15.16 without the penalty) on all training / test examples against as many fresh generated ones,
in evaluation mode; `monitor(model, split, rng)` adds the entry's own numbers (θ, covered modes, ...).

Both players' updates are compiled steps (`tinygrad_udl.compile`; `compile=False` runs them
eagerly, with the same numbers): the latents are recorded draws from the noise generator, and the
WGAN's weight clipping runs after the compiled update, outside it (an in-place write the replay
could not see). A WGAN-GP's critic update stays eager: its penalty differentiates a gradient
(`backward(create_graph=True)`), which compiled steps do not replay.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....compile import compile as compile_step
from ....data import DataLoader
from ....optim import SGD, Adam, RMSprop
from ....training import History, TrainingDiverged
from ...runner import seeds

OPTIMIZERS = ("adam", "rmsprop", "sgd")
EVALUATION_BATCH = 1000


def make_optimizer(params, hyper, lr):
    """Adam (eqs. 6.15-6.18, with `betas`), RMSprop or SGD for one player's parameters."""
    name = hyper.get("optimizer", "adam")
    if name == "adam":
        return Adam(params, lr=lr, betas=tuple(hyper.get("betas", (0.9, 0.999))))
    if name == "rmsprop":
        return RMSprop(params, lr=lr)
    if name == "sgd":
        return SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; one of {OPTIMIZERS}")


def discriminator_loss(model, x, rng):
    """The mean of `model.objective_terms` (eq. 15.3's or eq. 15.16's, no penalty) over all of `x`
    (numpy) against as many generated examples, in evaluation mode and without a graph."""
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        with no_grad():
            for start in range(0, len(x), EVALUATION_BATCH):
                batch = Tensor(x[start:start + EVALUATION_BATCH].astype(model._dtype()))
                total += float(model.objective_terms(batch, model.generate(len(batch), rng)).data.sum())
    finally:
        model.train(was_training)
    return total / len(x)


def _check_finite(value, who, step):
    if not math.isfinite(value):
        raise TrainingDiverged(f"the {who}'s loss is {value} at step {step}; the game diverged. Lower the learning "
                               "rate (--lr).")


def _total_steps(hyper, batches_per_epoch, critic_steps):
    if "steps" in hyper:
        return int(hyper["steps"])
    return max(1, hyper["epochs"] * batches_per_epoch // critic_steps)


def _real_batches(loader):
    """Real batches without end, with the number of the epoch each comes from."""
    epoch = 0
    while True:
        epoch += 1
        for batch in loader:
            yield epoch, batch


def _updates(model, adversary_optimizer, generator_optimizer, batch_size, noise_rng, compile):
    """(discriminator update: real batch -> loss, generator update: () -> loss, or None without a
    generator to train), each one optimizer step; compiled where a replay can run them."""

    def discriminator_update(x):
        loss = model.discriminator_terms(Tensor(x), noise_rng, detach=True).mean()
        adversary_optimizer.zero_grad()
        loss.backward()
        adversary_optimizer.step()
        return loss

    def generator_update():
        loss = model.generator_loss(batch_size, noise_rng)
        generator_optimizer.zero_grad()
        loss.backward()
        generator_optimizer.step()
        return loss

    if generator_optimizer is None:
        generator_update = None
    if compile:
        if getattr(model, "gradient_penalty", None) is None:   # see the module docstring (WGAN-GP)
            discriminator_update = compile_step(discriminator_update)
        if generator_update is not None:
            generator_update = compile_step(generator_update)
    return discriminator_update, generator_update


def train_adversarial(entry, hyper, split, seed, progress=None, monitor=None, compile=True):
    """Build `entry`'s model from `seed` and play the game on `split.train`; (model, History).
    `compile=False` runs the updates eagerly."""
    from tqdm.auto import tqdm  # a dependency; imported here as in training.fit

    model_rng, data_rng, noise_rng, eval_seed = seeds(seed, 4)
    model = entry.build(rng=model_rng)
    x_train, x_test = split.train[0], split.test[0]
    dtype = model._dtype()
    critic_steps = int(hyper.get("critic_steps", 1))
    batch_size = int(hyper["batch_size"])
    loader = DataLoader(x_train, batch_size=batch_size, shuffle=True, drop_last=True, rng=data_rng)
    total = _total_steps(hyper, len(loader), critic_steps)
    eval_every = int(hyper.get("eval_every", max(1, total // 20)))
    adversary_optimizer = make_optimizer(model.adversary.parameters(), hyper, hyper["lr"])
    generator_parameters = list(model.generator.parameters())
    generator_optimizer = (make_optimizer(generator_parameters, hyper, hyper.get("generator_lr", hyper["lr"]))
                           if generator_parameters else None)
    discriminator_update, generator_update = _updates(model, adversary_optimizer, generator_optimizer, batch_size,
                                                      noise_rng, compile)
    start = time.perf_counter()
    eval_entropy = eval_seed.integers(2 ** 32)

    def row(step, epoch):
        rng = np.random.default_rng(eval_entropy)  # the same noise at every evaluation: comparable rows
        values = {"epoch": epoch, "step": step, "train_loss": discriminator_loss(model, x_train, rng),
                  "test_loss": discriminator_loss(model, x_test, rng)}
        if monitor is not None:
            values.update(monitor(model, split, rng))
        values["seconds"] = round(time.perf_counter() - start, 3)
        return values

    history = History(info={"steps": total, "batch_size": batch_size, "critic_steps": critic_steps,
                            "steps_per_epoch": max(1, len(loader) // critic_steps)})
    history.append(row(0, 0))
    batches = _real_batches(loader)
    epoch = 0
    if progress is None:
        progress = sys.stdout.isatty()
    bar = tqdm(total=total, desc=entry.name, unit="step", disable=not progress, file=sys.stdout, dynamic_ncols=True,
               mininterval=0.2)
    try:
        for step in range(1, total + 1):
            model.train()
            for _ in range(critic_steps):
                epoch, xb = next(batches)
                loss = discriminator_update(xb.astype(dtype, copy=False))
                model.after_discriminator_step()
            _check_finite(loss.item(), model.adversary_name, step)
            if generator_update is not None:
                _check_finite(generator_update().item(), "generator", step)
            bar.update(1)
            if step % eval_every == 0 or step == total:
                history.append(row(step, epoch))
                bar.set_postfix(test_loss=f"{history.last['test_loss']:.3f}")
    finally:
        bar.close()
    history.info.update(steps_run=total, epochs_run=epoch, seconds=round(time.perf_counter() - start, 3))
    return model, history
