"""The zoo entries of chapter 15 (generative adversarial networks): each model with its data, the
settings (the book's where it gives them) and the exact references its table prints."""
from __future__ import annotations

import functools
from pathlib import Path

from ...registry import ZooEntry
from .dcgan import DCGAN
from .digits_quality import dcgan_monitor, dcgan_rows
from .figures import plot_digits, plot_game_1d, plot_ring
from .ring import RingGAN, RingWGAN, RingWGANGP, ring_monitor, ring_rows
from .tasks import GAN_TASKS
from .toy1d import GAN1D, gan_1d_monitor, gan_1d_rows
from .training import train_adversarial
from .wgan1d import WassersteinCritic1D, critic_monitor, critic_rows

METRICS = ("test_loss", "parameters")
RING_NOTES = {"gan-ring": "the discriminator's loss on the test points against as many samples",
              "wgan-ring": "eq. 15.16: minus the critic's Wasserstein estimate",
              "wgan-gp-ring": "eq. 15.16 without the penalty: minus the critic's Wasserstein estimate"}
RING_TINY = {"latent": 2, "hidden": 3, "undecided": False}   # a checkable critic: f ≢ 0


def _trainer(monitor):
    return functools.partial(train_adversarial, monitor=monitor)


def _draw(plot, file, title, model, history, split, out):
    return [plot(model, split.test[0], Path(out) / file, title=title)]


def _pictures(plot, file, name, section):
    """`train NAME --plot`'s picture `OUT/<file>`: `plot(model, test examples, path)` (`figures`)."""
    return functools.partial(_draw, plot, file, f"{name} ({section})")


def _ring(name, section, description, model, hyper, source, **options):
    """An entry on the ring of 8: the same data, tiny configuration, rows, monitor and picture (the
    samples beside the data) for all three games."""
    return ZooEntry(name, section, description, model, GAN_TASKS["ring-of-8"], {**hyper, "eval_every": 500}, source,
                    notes={"test_loss": RING_NOTES[name]}, tiny=RING_TINY, metrics=METRICS, extra_rows=ring_rows,
                    trainer=_trainer(ring_monitor), pictures=_pictures(plot_ring, "samples.png", name, section),
                    **options)


def entries() -> list:
    """The entries of chapter 15, in book order."""
    return [
        ZooEntry("gan-1d", "15.1, fig. 15.1, eqs. 15.1-15.7",
                 "1-D GAN: generator x* = z + theta against a logistic-regression discriminator",
                 GAN1D, GAN_TASKS["gaussian-1d"],
                 {"optimizer": "sgd", "lr": 0.05, "batch_size": 100, "steps": 4000, "critic_steps": 5,
                  "eval_every": 200},
                 "book: x* = z + theta from theta = 3.0, the saturating generator loss (eq. 15.5); ours: data "
                 "N(6, 1), SGD lr 0.05, batches of 100 (fig. 15.1 draws 10, whose noise keeps the discriminator "
                 "visibly off chance), 5 discriminator steps per generator step, 4,000 steps",
                 notes={"test_loss": "log 4 = 1.386 at the equilibrium (test points vs as many samples)"},
                 metrics=METRICS, extra_rows=gan_1d_rows, trainer=_trainer(gan_1d_monitor),
                 pictures=_pictures(plot_game_1d, "game.png", "gan-1d", "fig. 15.1")),
        _ring("gan-ring", "15.1.4, 15.2.1, fig. 15.5",
              "GAN on a ring of 8 Gaussians: mode dropping (two hidden layers of 64 in each player)", RingGAN,
              {"optimizer": "adam", "betas": (0.5, 0.999), "lr": 1e-3, "batch_size": 256, "steps": 6000},
              "ours: the book shows mode collapse on images (fig. 15.5); Adam with beta_1 = 0.5 (section 15.1.4), "
              "lr 1e-3, batch 256, 6,000 steps, the non-saturating generator loss"),
        _ring("wgan-ring", "15.2.3-15.2.6, eqs. 15.16-15.17",
              "Wasserstein GAN with weight clipping on the ring of 8 (the players of gan-ring)", RingWGAN,
              {"optimizer": "rmsprop", "lr": 5e-4, "batch_size": 128, "critic_steps": 2, "steps": 6000},
              "ours: weights clipped to [-0.1, 0.1] (the book's example [-0.01, 0.01] leaves this critic almost "
              "constant and the generator learns nothing in this time: docs/gans.md); RMSprop (Arjovsky et "
              "al.'s optimizer), lr 5e-4, 2 critic steps per generator step, batch 128, 6,000 steps",
              model_kwargs={"clip": 0.1}),
        _ring("wgan-gp-ring", "15.2.6, eqs. 15.16-15.17",
              "WGAN-GP on the ring of 8: gradient penalty 10 (||df/dx_hat|| - 1)^2, a second-order loss", RingWGANGP,
              {"optimizer": "adam", "betas": (0.5, 0.9), "lr": 3e-3, "generator_lr": 1e-3, "batch_size": 128,
               "critic_steps": 2, "steps": 6000},
              "ours: the book names the gradient penalty (section 15.2.6); lambda = 10 and Adam with betas "
              "(0.5, 0.9) as Gulrajani et al.; a critic three times faster (lr 3e-3) than the generator (1e-3) "
              "and 2 critic steps per generator step instead of 5 (equal rates oscillate; 5 steps need more than "
              "the 2-minute budget), batch 128, 6,000 steps"),
        ZooEntry("wgan-1d", "15.2.3-15.2.6, eqs. 15.14-15.17",
                 "WGAN-GP critic alone: its Wasserstein-1 estimate beside the exact distance (1-D)",
                 WassersteinCritic1D, GAN_TASKS["bimodal-1d"],
                 {"optimizer": "adam", "betas": (0.5, 0.9), "lr": 1e-3, "batch_size": 256, "steps": 2000,
                  "eval_every": 200},
                 "ours: q = N(0, 1) fixed, p = 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2); only the critic trains (Adam, "
                 "lr 1e-3, betas (0.5, 0.9), batch 256, 2,000 steps, penalty 10)",
                 notes={"test_loss": "eq. 15.16 without the penalty: minus the critic's Wasserstein estimate"},
                 tiny={"hidden": 3, "undecided": False}, metrics=METRICS, extra_rows=critic_rows,
                 trainer=_trainer(critic_monitor), pictures=_pictures(plot_game_1d, "critic.png", "wgan-1d", "eq. 15.15")),
        ZooEntry("dcgan-digits", "15.1.3-15.1.4, fig. 15.3",
                 "DCGAN on the 8x8 digits: transposed convolutions, batch norm, leaky ReLUs; FID vs references",
                 DCGAN, GAN_TASKS["digits-gan"],
                 {"optimizer": "adam", "betas": (0.5, 0.999), "lr": 5e-4, "batch_size": 64, "steps": 700,
                  "eval_every": 100},
                 "book: the DCGAN recipe (section 15.1.4: strided and transposed convolutions, batch norm except "
                 "the generator's last and the discriminator's first layer, leaky ReLUs, Adam with beta_1 = 0.5); "
                 "ours: sizes for 8x8 images, lr 5e-4, batch 64, 700 steps",
                 notes={"test_loss": "the discriminator's loss on the test digits against as many samples"},
                 tiny={"latent": 3, "generator_channels": 2, "discriminator_channels": 2}, metrics=METRICS,
                 extra_rows=dcgan_rows, trainer=_trainer(dcgan_monitor),
                 pictures=_pictures(plot_digits, "samples.png", "dcgan-digits", "fig. 15.3")),
    ]
