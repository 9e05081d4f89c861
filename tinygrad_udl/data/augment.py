"""Augmentation of 1-D signals such as MNIST-1D (book, section 9.3.8; input noise, section 9.3.4).

Augmentation transforms each training example so that its label stays valid, teaching the model
to ignore the transformation (section 9.3.8; the audio example there changes gains, as
`random_scale` does). For MNIST-1D the label survives a small shift, a change of amplitude and a
little noise; the data set's own generator applies the same kinds of transformation.

Every function works on a batch `x` of shape (N, L) or (N, C, L): axis 0 indexes examples and the
last axis is the signal. Each example gets its own random draw, made for the whole batch at once
(no Python loop over examples). The input is never modified; the result is a new array of the
same shape and dtype. Strength 0 returns an exact copy.

`rng` must be a numpy Generator, not an int seed: augmentation is called at every training step,
and re-seeding with the same int each time would apply the same "random" transformation forever.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_int, check_nonnegative

SHIFT_MODES = ("circular", "zero")


def random_shift(x, max_shift: int, rng: np.random.Generator, *, mode: str = "circular"):
    """Shift each signal by an integer s drawn uniformly from [-max_shift, max_shift].

    Positive s moves the signal towards larger indices, as `np.roll` does. `mode="circular"`
    wraps the samples that leave one end around to the other (MNIST-1D's own translation is
    circular); `mode="zero"` drops them and fills the vacated samples with zeros.
    """
    where = "random_shift"
    x = _check_batch(x, where)
    gen = _check_generator(rng, where)
    max_shift = check_int(max_shift, "max_shift", where, minimum=0)
    if mode not in SHIFT_MODES:
        raise ValueError(f"{where}: mode must be one of {SHIFT_MODES}, got {mode!r}")
    n, length = x.shape[0], x.shape[-1]
    shifts = gen.integers(-max_shift, max_shift + 1, size=n)
    # Output sample j of example i is input sample j - s_i.
    src = np.arange(length) - shifts.reshape((n,) + (1,) * (x.ndim - 1))
    if mode == "circular":
        return np.take_along_axis(x, np.broadcast_to(src % length, x.shape), axis=-1)
    inside = np.broadcast_to((src >= 0) & (src < length), x.shape)
    gathered = np.take_along_axis(x, np.broadcast_to(np.clip(src, 0, length - 1), x.shape), axis=-1)
    return np.where(inside, gathered, np.zeros((), dtype=x.dtype))


def random_scale(x, strength: float, rng: np.random.Generator):
    """Multiply each signal by a factor drawn uniformly from [1 - strength, 1 + strength].

    `strength` is in [0, 1], so the factor is never negative (a sign flip could change the class).
    MNIST-1D's generator scales its templates by 1 + 0.4 (U - 0.5), i.e. strength 0.2.
    """
    where = "random_scale"
    x = _check_batch(x, where, floating=True)
    gen = _check_generator(rng, where)
    strength = check_nonnegative(strength, "strength", where)
    if strength > 1:
        raise ValueError(f"{where}: strength must be <= 1 (a factor 1 - strength < 0 flips "
                         f"the sign), got {strength}")
    factors = 1.0 + strength * gen.uniform(-1.0, 1.0, size=x.shape[0])
    return x * factors.reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype)


def add_noise(x, std: float, rng: np.random.Generator):
    """Add independent N(0, std^2) noise to every sample (input noise, section 9.3.4, fig. 9.10)."""
    where = "add_noise"
    x = _check_batch(x, where, floating=True)
    gen = _check_generator(rng, where)
    std = check_nonnegative(std, "std", where)
    return x + (std * gen.standard_normal(x.shape)).astype(x.dtype)


def augment_1d(x, rng: np.random.Generator, *, max_shift: int = 0, shift_mode: str = "circular",
               scale: float = 0.0, noise_std: float = 0.0):
    """Apply `random_shift`, `random_scale` and `add_noise` in that order; 0 disables each one.

    Typical use, once per training batch: `xb = augment_1d(xb, rng, max_shift=5, scale=0.2,
    noise_std=0.05)`.
    """
    x = random_shift(x, max_shift, rng, mode=shift_mode)
    x = random_scale(x, scale, rng)
    return add_noise(x, noise_std, rng)


def _check_batch(x, where, floating=False):
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"{where}: x must be a batch of signals of shape (N, L) or (N, C, L), got shape "
            f"{x.shape}; for one signal pass x[None]"
        )
    if floating and not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{where}: x must have a floating dtype, got {x.dtype}; convert with "
                        f"x.astype(np.float32)")
    return x


def _check_generator(rng, where):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng must be a numpy Generator (create one per run with "
            f"np.random.default_rng(seed) and pass it at every step), got {type(rng).__name__}"
        )
    return rng
