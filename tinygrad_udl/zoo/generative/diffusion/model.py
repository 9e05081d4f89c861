"""A diffusion model: a noise-predicting network g_t[z_t, φ] with its fixed encoder (sections 18.2-18.5).

`DiffusionModel(denoiser, schedule, data_shape)` is what the zoo trains and samples from:

    loss(x, rng)          Algorithm 18.1: t ~ U{1..T}, ε ~ N(0, I), z_t = √α_t x + √(1−α_t) ε (eq. 18.7),
                          the simplified loss ‖g_t[z_t, φ] − ε‖² (eq. 18.39) averaged over the batch
                          and the data's dimensions (the book's sum divided by N·D; Adam's steps
                          do not depend on that constant factor)
    model(x)              the same loss per example with a *fixed* stream of (t, ε): a deterministic
                          function of the parameters, for gradient checks and `graph --model`
    predict_noise(z, t)   g_t[z_t, φ] (`model.denoiser`) as a numpy array, without recording gradients
    sample(n, rng)        Algorithm 18.2 (ancestral sampling): z_T ~ N(0, I), then
                          z_{t−1} = f_t[z_t] + σ_t ε for t = T..2 (eq. 18.35), and x = f_1[z_1]
"""
from __future__ import annotations

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....checks import as_generator, check_int
from ....nn.module import Module
from .schedule import SIGMA_CHOICES, NoiseSchedule

__all__ = ["DiffusionModel", "ancestral_sampling"]


def ancestral_sampling(predict_noise, schedule, data_shape, n, rng, sigma="beta", return_path=False):
    """Algorithm 18.2 with any noise predictor `predict_noise(z, t)` (numpy in and out): `n` samples
    of shape `data_shape` as a float64 array (n, *data_shape).

    With `return_path`, also the whole reverse trajectory z_T, ..., z_1, x as an array
    (T+1, n, *data_shape) whose row t is z_t (row 0 is x), as figs. 18.7a and 18.10b draw it."""
    n = check_int(n, "n", "ancestral_sampling", minimum=1)
    gen = as_generator(rng, "ancestral_sampling")
    z = gen.standard_normal((n, *data_shape))                          # z_T ~ Pr(z_T) = N(0, I)
    path = [z] if return_path else None
    for t in range(schedule.steps, 0, -1):
        z = schedule.reverse_mean(z, predict_noise(z, t), t)           # f_t[z_t] (eq. 18.35)
        if t > 1:                                                      # x = f_1[z_1]: no noise
            z = z + np.sqrt(schedule.sigma2(t, sigma)) * gen.standard_normal(z.shape)
        if return_path:
            path.append(z)
    return (z, np.stack(path[::-1])) if return_path else z


class DiffusionModel(Module):
    """`DiffusionModel(denoiser, schedule, data_shape, sigma="beta")`: the decoder of eq. 18.16 in the
    noise parameterisation of section 18.5.

    `denoiser(z, t)` is the network g_t[z_t, φ] (its parameters are the model's); `schedule` the
    encoder's `NoiseSchedule` (fixed, no parameters); `data_shape` the shape of one example (e.g.
    (1,) or (1, 8, 8)); `sigma` the decoder's variances σ_t² ("beta": β_t, or "posterior": the
    variance of eq. 18.15). `forward(x)` gives the loss terms of clean data x with the fixed noise
    stream `noise_seed` (as the VAE's `forward` gives its ELBO).
    """

    noise_seed = 0

    def __init__(self, denoiser, schedule, data_shape, sigma="beta"):
        super().__init__()
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"DiffusionModel: schedule must be a NoiseSchedule, got {type(schedule).__name__}")
        if sigma not in SIGMA_CHOICES:
            raise ValueError(f"DiffusionModel: sigma must be one of {SIGMA_CHOICES}, got {sigma!r}")
        self.denoiser = denoiser
        self.schedule = schedule
        self.data_shape = tuple(int(d) for d in data_shape)
        self.sigma = sigma

    def forward(self, x):
        """The loss terms of eq. 18.39 for clean data x (N, *data_shape), one per example (shape
        (N,)), with t and ε from the fixed stream `noise_seed`."""
        return self.loss_terms(x, np.random.default_rng(self.noise_seed))

    def _as_input(self, array):
        dtype = next(iter(self.parameters())).dtype
        return Tensor(np.asarray(array, dtype=dtype))

    def noisy_batch(self, x, rng):
        """(z_t, t, ε) for a batch x: t ~ U{1..T} and ε ~ N(0, I) per example (Algorithm 18.1)."""
        x = self._check_data(x, "noisy_batch")
        t = rng.integers(1, self.schedule.steps + 1, size=len(x))
        noise = rng.standard_normal(x.shape)
        return self.schedule.diffuse(x, t, noise), t, noise

    def loss_terms(self, x, rng):
        """‖g_t[z_t, φ] − ε‖² / D per example of the batch x, with t and ε drawn from `rng`: a Tensor (N,)."""
        return self.prediction_errors(*self.noisy_batch(x, rng))

    def prediction_errors(self, z, t, noise):
        """‖g_t[z_t, φ] − ε‖² / D per example for given draws (`noisy_batch`): a Tensor (N,). The
        part of the loss that a compiled training step replays (the draws are its arguments)."""
        error = self.denoiser(self._as_input(z), t) - self._as_input(noise)
        return (error * error).reshape(len(z), -1).mean(axis=1)

    def loss(self, x, rng):
        """The simplified loss (eq. 18.39) of a batch x with fresh draws from `rng`: a scalar Tensor."""
        return self.loss_terms(x, rng).mean()

    def predict_noise(self, z, t, batch_size=4096):
        """g_t[z_t, φ] for numpy z (N, *data_shape) and steps t (an int or N ints), in batches,
        without recording gradients (float64 numpy result)."""
        z = self._check_data(z, "predict_noise")
        t = self.schedule.check_steps(t, "DiffusionModel.predict_noise")
        if t.ndim and len(t) != len(z):
            raise ValueError(f"DiffusionModel.predict_noise: {len(t)} time steps for {len(z)} examples")
        out = np.empty(z.shape)
        with no_grad():
            for start in range(0, len(z), batch_size):
                part = slice(start, start + batch_size)
                out[part] = self.denoiser(self._as_input(z[part]), t[part] if t.ndim else t).data
        return out

    def sample(self, n, rng, return_path=False):
        """`n` samples by ancestral sampling (Algorithm 18.2) with this model's g_t and σ_t; see
        `ancestral_sampling` (`return_path` also returns the trajectory)."""
        return ancestral_sampling(self.predict_noise, self.schedule, self.data_shape, n, rng, self.sigma, return_path)

    def _check_data(self, x, where):
        x = np.asarray(x, dtype=np.float64)
        if x.shape[1:] != self.data_shape:
            shape = ", ".join(map(str, self.data_shape))
            raise ValueError(f"DiffusionModel.{where}: expected data of shape (N, {shape}), got {x.shape}")
        return x
