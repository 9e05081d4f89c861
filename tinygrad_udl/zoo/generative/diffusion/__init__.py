"""Chapter 18, diffusion models: the fixed encoder in closed form, noise-predicting networks trained
with the simplified loss (Algorithm 18.1), ancestral sampling (Algorithm 18.2), and the exact
Bayes-optimal denoiser of Gaussian-mixture data as the reference (docs/diffusion.md).

    schedule     NoiseSchedule: β_t, α_t, the kernel q(z_t | x), the posterior q(z_{t−1} | z_t, x)
    denoisers    DenoisingMLP, DenoisingUNet (fig. 18.9), with a sinusoidal time embedding
    model        DiffusionModel: loss (eq. 18.39), predict_noise, sample (Algorithm 18.2)
    training     train_diffusion / fit_diffusion (Algorithm 18.1), noise_mse
    references   the Bayes-optimal ε-prediction and its error for mixtures; the best linear denoiser
    comparison   exact bin probabilities, total variation, quantiles, the sampler's exact 1-D output
    data, reports, pictures, entries: the zoo entries (`tinygrad-udl train diffusion-1d`, ...)
"""
from .denoisers import DenoisingMLP, DenoisingUNet, TimeEmbedding
from .model import DiffusionModel
from .schedule import NoiseSchedule
from .training import fit_diffusion, noise_mse, train_diffusion

__all__ = ["NoiseSchedule", "DenoisingMLP", "DenoisingUNet", "TimeEmbedding", "DiffusionModel", "fit_diffusion",
           "train_diffusion", "noise_mse"]
