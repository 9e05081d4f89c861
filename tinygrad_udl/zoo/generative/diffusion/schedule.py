"""The fixed encoder of a diffusion model: the noise schedule and its closed forms (section 18.2).

The forward process (eqs. 18.1-18.2) blends the data with noise in T steps,

    z_1 = √(1−β_1)·x + √β_1·ε_1,        z_t = √(1−β_t)·z_{t−1} + √β_t·ε_t,

and everything a diffusion model needs about it has a closed form in the schedule β_1..β_T:

    α_t = Π_{s≤t} (1−β_s)                                     (eq. 18.7; α_0 = 1)
    q(z_t | x) = N(√α_t·x, (1−α_t)·I)                         (diffusion kernel, eq. 18.8)
    q(z_{t−1} | z_t, x) = N(m, v·I) with                      (eq. 18.15)
        m = (1−α_{t−1})/(1−α_t)·√(1−β_t)·z_t + √α_{t−1}·β_t/(1−α_t)·x,   v = β_t(1−α_{t−1})/(1−α_t)
    f_t[z_t] = z_t/√(1−β_t) − β_t/(√(1−α_t)·√(1−β_t))·g_t[z_t]   (the decoder's mean, eq. 18.35)

The book's α_t is the *cumulative* product (DDPM's ᾱ_t); it is computed as exp(Σ log(1−β_s)),
which stays accurate when the β_s are tiny. Time steps are integers t = 1..T as in the book;
functions that take a step accept an int or an int array with one step per example (axis 0),
and work on numpy arrays of any shape (N, ...).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....checks import check_int

__all__ = ["NoiseSchedule", "SIGMA_CHOICES"]

# The decoder's variances σ_t² (eq. 18.16) are fixed, but the book does not say to what: the two
# usual choices are β_t and the variance of q(z_{t−1} | z_t, x) (eq. 18.15).
SIGMA_CHOICES = ("beta", "posterior")


@dataclass(frozen=True)
class NoiseSchedule:
    """`NoiseSchedule(betas)`: β_1..β_T, each in (0, 1). Build one with `constant` or `linear`.

    Attributes: `betas` (T,), `alphas` (T+1,) with `alphas[t]` = the book's α_t and α_0 = 1.
    """

    betas: np.ndarray

    def __post_init__(self):
        betas = np.asarray(self.betas, dtype=np.float64)
        if betas.ndim != 1 or len(betas) == 0:
            raise ValueError(f"NoiseSchedule: betas must be a non-empty 1-D array, got shape {betas.shape}")
        if not np.all((betas > 0) & (betas < 1)):
            raise ValueError("NoiseSchedule: every beta_t must lie strictly between 0 and 1 (eq. 18.1), got "
                             f"values in [{betas.min():.3g}, {betas.max():.3g}]")
        betas = betas.copy()
        betas.flags.writeable = False
        alphas = np.exp(np.concatenate([[0.0], np.cumsum(np.log1p(-betas))]))  # α_0 = 1, eq. 18.7
        alphas.flags.writeable = False
        object.__setattr__(self, "betas", betas)
        object.__setattr__(self, "alphas", alphas)

    @classmethod
    def constant(cls, steps, beta):
        """β_t = `beta` for t = 1..`steps` (fig. 18.2: T = 100, β = 0.03)."""
        return cls(np.full(check_int(steps, "steps", "NoiseSchedule.constant", minimum=1), float(beta)))

    @classmethod
    def linear(cls, steps, beta_first, beta_last):
        """β_t rising linearly from `beta_first` (t = 1) to `beta_last` (t = T): small steps where
        the data are nearly clean, larger ones once they are mostly noise (Ho et al.'s schedule)."""
        steps = check_int(steps, "steps", "NoiseSchedule.linear", minimum=1)
        return cls(np.linspace(float(beta_first), float(beta_last), steps))

    @property
    def steps(self) -> int:
        """T, the number of latent variables z_1..z_T."""
        return len(self.betas)

    # ---- the forward process (section 18.2) -----------------------------------------------------------

    def check_steps(self, t, where="NoiseSchedule", first=1):
        """`t` as an int array of steps in first..T (a clear error otherwise)."""
        t = np.asarray(t)
        if t.dtype.kind not in "iu":
            raise TypeError(f"{where}: time steps must be integers, got dtype {t.dtype}")
        if t.size and (t.min() < first or t.max() > self.steps):
            raise ValueError(f"{where}: time steps must lie in {first}..{self.steps}, got values in "
                             f"[{t.min()}, {t.max()}]")
        return t

    def step(self, z_previous, t, noise):
        """One step of the forward process, z_t = √(1−β_t)·z_{t−1} + √β_t·ε_t (eq. 18.1; z_0 = x)."""
        beta = self._per_example(self.betas[self.check_steps(t, "NoiseSchedule.step") - 1], z_previous)
        return np.sqrt(1 - beta) * z_previous + np.sqrt(beta) * noise

    def kernel(self, x, t):
        """(mean, variance) of the diffusion kernel q(z_t | x) = N(√α_t·x, (1−α_t)·I) (eq. 18.8);
        the variance has the shape of the per-example coefficient (broadcastable against x)."""
        alpha = self._per_example(self.alphas[self.check_steps(t, "NoiseSchedule.kernel", first=0)], x)
        return np.sqrt(alpha) * x, 1 - alpha

    def diffuse(self, x, t, noise):
        """z_t = √α_t·x + √(1−α_t)·ε: a draw from the kernel without the intermediate steps (eq. 18.7)."""
        mean, variance = self.kernel(x, t)
        return mean + np.sqrt(variance) * noise

    def posterior(self, z_t, x, t):
        """(mean, variance) of q(z_{t−1} | z_t, x) (eq. 18.15), for t = 1..T (α_0 = 1: at t = 1 the
        mean is x and the variance 0)."""
        t = self.check_steps(t, "NoiseSchedule.posterior")
        beta = self._per_example(self.betas[t - 1], z_t)
        alpha, alpha_before = self._per_example(self.alphas[t], z_t), self._per_example(self.alphas[t - 1], z_t)
        mean = ((1 - alpha_before) / (1 - alpha) * np.sqrt(1 - beta) * z_t
                + np.sqrt(alpha_before) * beta / (1 - alpha) * x)
        return mean, beta * (1 - alpha_before) / (1 - alpha)

    # ---- the decoder (sections 18.3 and 18.5) ---------------------------------------------------------

    def reverse_mean(self, z_t, noise_prediction, t):
        """f_t[z_t] = z_t/√(1−β_t) − β_t/(√(1−α_t)·√(1−β_t))·g_t[z_t]: the mean of the decoder's
        step to z_{t−1} from the predicted noise (eq. 18.35; Algorithm 18.2)."""
        t = self.check_steps(t, "NoiseSchedule.reverse_mean")
        beta, alpha = self._per_example(self.betas[t - 1], z_t), self._per_example(self.alphas[t], z_t)
        return (z_t - beta / np.sqrt(1 - alpha) * noise_prediction) / np.sqrt(1 - beta)

    def sigma2(self, t, choice="beta"):
        """σ_t², the decoder's fixed variance (eq. 18.16): β_t ("beta") or the variance of
        q(z_{t−1} | z_t, x) ("posterior", eq. 18.15)."""
        t = self.check_steps(t, "NoiseSchedule.sigma2")
        if choice == "beta":
            return self.betas[t - 1]
        if choice == "posterior":
            return self.betas[t - 1] * (1 - self.alphas[t - 1]) / (1 - self.alphas[t])
        raise ValueError(f"NoiseSchedule.sigma2: choice must be one of {SIGMA_CHOICES}, got {choice!r}")

    @staticmethod
    def _per_example(coefficient, x):
        """A scalar, or one coefficient per example reshaped to (N, 1, ..., 1) to broadcast over x."""
        coefficient = np.asarray(coefficient, dtype=np.float64)
        if coefficient.ndim == 0:
            return coefficient
        x = np.asarray(x)
        if coefficient.shape != x.shape[:1]:
            raise ValueError(f"NoiseSchedule: {coefficient.shape[0]} time steps for an array of shape {x.shape}; "
                             "give one step, or one per example (axis 0)")
        return coefficient.reshape(-1, *([1] * (x.ndim - 1)))
