"""The noise-predicting networks g_t[z_t, φ] of section 18.5 (eqs. 18.30-18.39, fig. 18.9).

One network serves every time step: it receives t through a sinusoidal embedding (the position
encoding of fig. 12.5, row t of the table), passed through a shallow network and *added* to the
hidden units of every layer -- the time conditioning of fig. 18.9. Both networks return a
prediction of the noise ε that was mixed into z_t (eq. 18.7), with the shape of z_t.

The layers that add the time offsets start at zero (`zero_time_offsets_`): the network first fits
what all steps share and lets t in gradually. With random offsets from the start, the embedding's
fast sinusoids shake every hidden unit from one t to the next: an MLP on the 64 pixels of the
digits still had an ε-error of 0.25 at t = T after 1,500 steps (Adam, lr 1e-3, batch 128), against
0.026 when the offsets start at zero (the best linear denoiser: 0.0006). Everything else uses He
initialisation (eq. 7.30), the layers' default.

    DenoisingMLP   vectors (N, D) (examples of any shape are flattened): the 1-D mixture of figs.
                   18.4-18.8 and the 2-D densities
    DenoisingUNet  images (N, C, H, W): a two-scale U-Net (fig. 18.9), for the 8×8 digits

`forward(z, t)` takes the noisy data (a Tensor) and the time steps (an int, or an int array with
one step per example, each in 1..T).
"""
from __future__ import annotations

import numpy as np

from ....autograd.tensor import Tensor, concatenate
from ....checks import as_generator, check_int
from ....nn.attention import MultiheadAttention, sinusoidal_position_encoding
from ....nn import init
from ....nn.conv import Conv2d, ConvTranspose2d
from ....nn.linear import Linear
from ....nn.module import Module, ModuleList

__all__ = ["TimeEmbedding", "DenoisingMLP", "TimeResidualBlock", "DenoisingUNet", "zero_time_offsets_"]


def zero_time_offsets_(layers):
    """Set the weights (and biases) of the Linear layers that add the time offsets to zero."""
    for layer in layers:
        init.zeros_(layer.weight)
        if layer.bias is not None:
            init.zeros_(layer.bias)


class TimeEmbedding(Module):
    """`TimeEmbedding(steps, embedding=32, features=64, rng=0)`: t ↦ SiLU(W₁ e(t) + b₁) (fig. 18.9).

    e(t) is row t of the sinusoidal table of fig. 12.5 (`embedding` values, a fixed buffer for
    t = 0..T), W₁ (`layer`, a Linear) maps it to `features` units. (E + 1)·F parameters.
    """

    def __init__(self, steps, embedding=32, features=64, rng=0, dtype=None):
        super().__init__()
        self.steps = check_int(steps, "steps", "TimeEmbedding", minimum=1)
        self.register_buffer("table", sinusoidal_position_encoding(self.steps + 1, embedding, dtype), persistent=False)
        self.layer = Linear(embedding, features, dtype=dtype, rng=as_generator(rng, "TimeEmbedding"))

    def forward(self, t, batch):
        """The embedding of the steps `t` as a Tensor: (batch, F) for `batch` ints in 1..T, or (1, F)
        for one int shared by the batch (it broadcasts; sampling calls the network with one t)."""
        t = np.asarray(t)
        if t.dtype.kind not in "iu" or t.ndim > 1 or (t.ndim == 1 and len(t) != batch):
            raise ValueError(f"{type(self).__name__}: t must be an int or {batch} ints (one per example), "
                             f"got {t.dtype} array of shape {t.shape}")
        if t.size and (t.min() < 1 or t.max() > self.steps):
            raise ValueError(f"{type(self).__name__}: time steps must lie in 1..{self.steps}, "
                             f"got [{t.min()}, {t.max()}]")
        # the rows picked by a Tensor operation (not numpy), so that a compiled step reads t at each replay
        return self.layer(Tensor._wrap(self.table)[t if t.ndim == 1 else t.reshape(-1)]).silu()


class DenoisingMLP(Module):
    """`DenoisingMLP(features, hidden=64, layers=3, embedding=16, steps=100, rng=0)`: g_t[z_t, φ].

    A ReLU network (eq. 4.15) on z_t ∈ R^D whose k-th hidden layer adds a time offset:

        h_1 = ReLU[β_1 + Ω_1 z_t + Ψ_1 τ(t)],   h_{k+1} = ReLU[β_{k+1} + Ω_{k+1} h_k + Ψ_{k+1} τ(t)],
        g_t[z_t, φ] = β_out + Ω_out h_K,

    with τ(t) = `time(t)` (`TimeEmbedding`, H units) and Ψ_k = `time_offsets[k]` (Linear, no bias:
    β_k already offsets the layer). Modules: `input` (Linear D→H), `hidden[k]` (Linear H→H, K−1 of
    them), `time`, `time_offsets` (K of them), `output` (Linear H→D). Parameters, with K = `layers`,
    H = `hidden`, E = `embedding`:

        (D+1)H + (K−1)(H+1)H + (E+1)H + K·H·H + (H+1)D

    e.g. 1-D data, H = 64, K = 3, E = 16: 128 + 8,320 + 1,088 + 12,288 + 65 = 21,889.
    """

    def __init__(self, features, hidden=64, layers=3, embedding=16, steps=100, rng=0, dtype=None):
        super().__init__()
        features = check_int(features, "features", "DenoisingMLP", minimum=1)
        hidden = check_int(hidden, "hidden", "DenoisingMLP", minimum=1)
        layers = check_int(layers, "layers", "DenoisingMLP", minimum=1)
        gen = as_generator(rng, "DenoisingMLP")
        self.features = features
        self.time = TimeEmbedding(steps, embedding, hidden, rng=gen, dtype=dtype)
        self.input = Linear(features, hidden, dtype=dtype, rng=gen)
        self.hidden = ModuleList([Linear(hidden, hidden, dtype=dtype, rng=gen) for _ in range(layers - 1)])
        self.time_offsets = ModuleList([Linear(hidden, hidden, bias=False, dtype=dtype, rng=gen)
                                        for _ in range(layers)])
        self.output = Linear(hidden, features, dtype=dtype, rng=gen)
        zero_time_offsets_(self.time_offsets)

    def forward(self, z, t):
        shape = tuple(z.shape)
        if z.ndim < 2 or int(np.prod(shape[1:])) != self.features:
            raise ValueError(f"DenoisingMLP: expected z_t of shape (N, {self.features}) (or examples of "
                             f"{self.features} values, e.g. images, flattened here), got {shape}")
        tau = self.time(t, shape[0])
        h = (self.input(z.reshape(shape[0], self.features)) + self.time_offsets[0](tau)).relu()
        for layer, offset in zip(self.hidden, list(self.time_offsets)[1:]):
            h = (layer(h) + offset(tau)).relu()
        return self.output(h).reshape(*shape)


class TimeResidualBlock(Module):
    """`TimeResidualBlock(in_channels, out_channels, time_features, rng)`: a residual block of fig. 18.9.

        h = conv1(ReLU[x]) + Ψ τ(t)   (the time offset added at every spatial position)
        y = shortcut(x) + conv2(ReLU[h])

    (the order of operations of section 11.2.1, fig. 11.5c: each convolution after a ReLU, so the
    block can add negative changes; 3×3 convolutions with zero padding keep the size). `shortcut`
    is a 1×1 convolution when the channel count changes, else the identity.
    Parameters: 9·C_in·C_out + C_out + 9·C_out² + C_out + (F+1)·C_out [+ (C_in+1)·C_out].
    """

    def __init__(self, in_channels, out_channels, time_features, rng, dtype=None):
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, 3, padding=1, dtype=dtype, rng=rng)
        self.time_offset = Linear(time_features, out_channels, dtype=dtype, rng=rng)
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, dtype=dtype, rng=rng)
        self.shortcut = (Conv2d(in_channels, out_channels, 1, dtype=dtype, rng=rng)
                         if in_channels != out_channels else None)

    def forward(self, x, tau):
        offset = self.time_offset(tau)
        h = self.conv1(x.relu()) + offset.reshape(*offset.shape, 1, 1)
        skip = x if self.shortcut is None else self.shortcut(x)
        return skip + self.conv2(h.relu())


class DenoisingUNet(Module):
    """`DenoisingUNet(in_channels=1, channels=(32, 64), time_features=64, embedding=32, heads=4,
    steps=200, rng=0)`: the U-Net of fig. 18.9 at two scales, for small images (H, W even).

        stem (3×3 conv) → down (residual block, C₁, H×W) ─────────────── skip ──┐
            → 3×3 conv, stride 2 (C₂, H/2×W/2) → middle (residual block)         │
            → self-attention over the H/2·W/2 positions (eqs. 12.10-12.12)       │
            → 2×2 transposed conv, stride 2 (C₁, H×W) → concat ◄───────────────┘
            → up (residual block, 2C₁ → C₁) → head (3×3 conv to the input's channels)

    Every residual block adds the time embedding τ(t) (`TimeEmbedding`, F units) to its channels at
    every position. The network starts with a convolution (the stem), not a residual block, whose
    first ReLU would clip the negative half of the input (section 11.2.1). The attention block is
    residual: y = x + MHSA(x), the positions as tokens. No normalisation layers (kept small: the
    network is trained in about a minute on 8×8 images); the head starts at zero (see `__init__`).

    Parameters, with C = in_channels, F = time_features, E = embedding, R(a, b) the count of a
    `TimeResidualBlock`:

        (E+1)F + (9C+1)C₁ + R(C₁, C₁) + (9C₁+1)C₂ + R(C₂, C₂) + 4C₂² + 4C₂
               + (4C₂+1)C₁ + R(2C₁, C₁) + (9C₁+1)C
    """

    def __init__(self, in_channels=1, channels=(32, 64), time_features=64, embedding=32, heads=4, steps=200, rng=0,
                 dtype=None):
        super().__init__()
        if len(channels) != 2:
            raise ValueError(f"DenoisingUNet: channels must be two widths (fine, coarse), got {channels!r}")
        c1, c2 = (check_int(c, "channels", "DenoisingUNet", minimum=1) for c in channels)
        gen = as_generator(rng, "DenoisingUNet")
        self.in_channels = check_int(in_channels, "in_channels", "DenoisingUNet", minimum=1)
        self.time = TimeEmbedding(steps, embedding, time_features, rng=gen, dtype=dtype)
        self.stem = Conv2d(in_channels, c1, 3, padding=1, dtype=dtype, rng=gen)
        self.down = TimeResidualBlock(c1, c1, time_features, gen, dtype)
        self.downsample = Conv2d(c1, c2, 3, stride=2, padding=1, dtype=dtype, rng=gen)
        self.middle = TimeResidualBlock(c2, c2, time_features, gen, dtype)
        self.attention = MultiheadAttention(c2, heads, dtype=dtype, rng=gen)
        self.upsample = ConvTranspose2d(c2, c1, 2, stride=2, dtype=dtype, rng=gen)
        self.up = TimeResidualBlock(2 * c1, c1, time_features, gen, dtype)
        self.head = Conv2d(c1, in_channels, 3, padding=1, dtype=dtype, rng=gen)
        zero_time_offsets_([block.time_offset for block in (self.down, self.middle, self.up)])
        # Each residual block adds to the scale of its input (no normalisation layers), so the untrained
        # network's outputs had ~10-60 times the variance of ε; a zero head starts it at the trivial
        # prediction ε̂ = 0 (error exactly 1), and the head's gradient at once brings the rest along.
        init.zeros_(self.head.weight)
        init.zeros_(self.head.bias)

    def forward(self, z, t):
        if z.ndim != 4 or z.shape[1] != self.in_channels or z.shape[2] % 2 or z.shape[3] % 2:
            raise ValueError(f"DenoisingUNet: expected z_t of shape (N, {self.in_channels}, H, W) with H and W even, "
                             f"got {tuple(z.shape)}")
        tau = self.time(t, z.shape[0])
        skip = self.down(self.stem(z), tau)
        h = self.middle(self.downsample(skip), tau)
        n, c, height, width = h.shape
        tokens = h.reshape(n, c, height * width).transpose(0, 2, 1)          # (N, positions, C)
        tokens = tokens + self.attention(tokens, need_weights=False)[0]
        h = tokens.transpose(0, 2, 1).reshape(n, c, height, width)
        h = self.up(concatenate([skip, self.upsample(h)], axis=1), tau)      # the U-Net's skip
        return self.head(h.relu())
