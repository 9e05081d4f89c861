"""The zoo entries of chapter 18 (diffusion models): a noise-predicting network per data set, trained
with Algorithm 18.1 and sampled with Algorithm 18.2, each compared with an exact reference.

    diffusion-1d      the 1-D mixture of figs. 18.4-18.8 (T = 100, β = 0.03 as fig. 18.2)
    diffusion-ring    the ring of 8 Gaussians (2-D)
    diffusion-moons   the two moons (2-D)
    diffusion-digits  the 8×8 digits, the U-Net of fig. 18.9

`train NAME --plot` also draws the entry's pictures (figs. 18.3, 18.7-18.8 for the 1-D mixture;
samples over the density in 2-D; a grid of sampled digits and their reverse process).
"""
from __future__ import annotations

from ...registry import ZooEntry
from .data import TASKS
from .denoisers import DenoisingMLP, DenoisingUNet
from .model import DiffusionModel
from .pictures import density_2d_pictures, digits_pictures, mixture_1d_pictures
from .reports import density_2d_rows, digits_rows, mixture_1d_rows
from .schedule import NoiseSchedule
from .training import train_diffusion

# Fig. 18.2's encoder: T = 100 steps of β = 0.03 (α_100 = 0.97^100 = 0.048).
SCHEDULE_1D = NoiseSchedule.constant(100, 0.03)
# Ours for the 2-D densities and the digits: β_t rising linearly from 1e-4 to 0.06 over T = 200 steps,
# so that α_T = 0.0022 and z_T is within a few percent of N(0, I) (the ring has radius 2).
SCHEDULE_LINEAR = NoiseSchedule.linear(200, 1e-4, 0.06)


def mixture_1d_model(hidden=64, layers=3, embedding=16, rng=0, dtype=None):
    """The diffusion model of figs. 18.7-18.8 for the 1-D mixture (sections 18.3-18.5): one
    `DenoisingMLP` g_t[z_t, φ] for all t (the book fits a lookup table per step) with the encoder
    of fig. 18.2 (T = 100, β_t = 0.03), σ_t² = β_t (eq. 18.16). 21,889 parameters by default (the
    count is derived in `DenoisingMLP`'s docstring)."""
    denoiser = DenoisingMLP(1, hidden, layers, embedding, SCHEDULE_1D.steps, rng=rng, dtype=dtype)
    return DiffusionModel(denoiser, SCHEDULE_1D, (1,))


def density_2d_model(hidden=128, layers=3, embedding=32, rng=0, dtype=None):
    """A diffusion model of 2-D data (section 18.5): a `DenoisingMLP` g_t[z_t, φ] with the linear
    schedule `SCHEDULE_LINEAR` (T = 200), σ_t² = β_t. (2+1)·128 + 2·129·128 + 33·128 + 3·128² +
    129·2 = 87,042 parameters by default (`DenoisingMLP`'s formula)."""
    denoiser = DenoisingMLP(2, hidden, layers, embedding, SCHEDULE_LINEAR.steps, rng=rng, dtype=dtype)
    return DiffusionModel(denoiser, SCHEDULE_LINEAR, (2,))


def digits_model(channels=(16, 32), time_features=32, embedding=16, heads=4, rng=0, dtype=None):
    """A diffusion model of the 8×8 digits with the U-Net of fig. 18.9 (section 18.6; `DenoisingUNet`,
    whose docstring derives the parameter count: 44,497 by default) and the linear schedule
    `SCHEDULE_LINEAR` (T = 200), σ_t² = β_t."""
    denoiser = DenoisingUNet(1, channels, time_features, embedding, heads, SCHEDULE_LINEAR.steps, rng=rng, dtype=dtype)
    return DiffusionModel(denoiser, SCHEDULE_LINEAR, (1, 8, 8))


SOURCE_1D = ("book: T = 100, beta = 0.03 (fig. 18.2), the simplified loss (eq. 18.39, Algorithm 18.1); ours: "
             "one MLP for all t instead of the book's per-step lookup tables, Adam lr 2e-3, batch 256")
SOURCE_OURS = "ours: the book trains no diffusion model on these data; the simplified loss (eq. 18.39), Adam"
NOTES = {"test_loss": "fresh t ~ U{1..T} and eps per example (fixed draws); compare with the floor below"}
METRICS = ("test_loss", "parameters")


def _entry(name, section, description, factory, task, hyper, source, tiny, rows, pictures):
    return ZooEntry(name, section, description, factory, TASKS[task], {"optimizer": "adam", "cosine": True, **hyper},
                    source, notes=NOTES, tiny=tiny, metrics=METRICS, extra_rows=rows, trainer=train_diffusion,
                    pictures=pictures)


def entries() -> list:
    """The entries of chapter 18, in book order."""
    return [
        _entry("diffusion-1d", "18.2-18.5, Algorithms 18.1-18.2, figs. 18.2-18.8",
               "eps-predicting MLP on the 1-D mixture of fig. 18.4; T = 100, beta = 0.03",
               mixture_1d_model, "mixture-1d", {"lr": 2e-3, "batch_size": 256, "steps": 4000, "eval_every": 5},
               SOURCE_1D, {"hidden": 4, "layers": 2, "embedding": 4}, mixture_1d_rows, mixture_1d_pictures),
        _entry("diffusion-ring", "18.5, Algorithms 18.1-18.2", "eps-predicting MLP on the ring of 8 Gaussians",
               density_2d_model, "ring", {"lr": 2e-3, "batch_size": 256, "steps": 5000, "eval_every": 10},
               SOURCE_OURS + ", lr 2e-3, batch 256", {"hidden": 4, "layers": 2, "embedding": 4},
               density_2d_rows("ring"), density_2d_pictures("ring")),
        _entry("diffusion-moons", "18.5, Algorithms 18.1-18.2", "eps-predicting MLP on the two moons",
               density_2d_model, "moons", {"lr": 2e-3, "batch_size": 256, "steps": 5000, "eval_every": 10},
               SOURCE_OURS + ", lr 2e-3, batch 256", {"hidden": 4, "layers": 2, "embedding": 4},
               density_2d_rows("moons"), density_2d_pictures("moons")),
        _entry("diffusion-digits", "18.6, fig. 18.9, Algorithms 18.1-18.2",
               "U-Net with time embedding and self-attention (fig. 18.9) on the 8x8 digits", digits_model, "digits",
               {"lr": 3e-3, "batch_size": 32, "steps": 1500, "eval_every": 5}, SOURCE_OURS + ", lr 3e-3, batch 32",
               {"channels": (1, 2), "time_features": 2, "embedding": 2, "heads": 1}, digits_rows, digits_pictures),
    ]

