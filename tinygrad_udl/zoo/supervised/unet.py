"""A small 1-D U-Net (section 11.5.3, fig. 11.10) for per-sample segmentation.

The encoder applies pairs of convolutions and halves the resolution (max pooling, fig. 10.11b);
the decoder doubles it again with transposed convolutions (fig. 10.13), and at every scale the
last encoder map is concatenated to the first decoder map there -- the U-Net's skip connections,
which give the decoder back the detail that downsampling removed. With zero-padded convolutions
the maps at one scale have the same length, so no cropping is needed (section 11.5.3). The net is
fully convolutional; a final 1×1 convolution (fig. 10.14) gives one logit per position and class.

The book trains no U-Net; the synthetic task (`tasks.make_pulses_1d`), the sizes and the training
(Adam) are ours.
"""
from __future__ import annotations

from ...autograd.tensor import concatenate
from ...nn.activation import ReLU
from ...nn.conv import Conv1d, ConvTranspose1d
from ...nn.module import Module, ModuleList, Sequential
from ...nn.pooling import max_pool1d
from ...checks import as_generator
from ._he import he_init_


def double_conv(c_in, c_out, kernel_size, rng, dtype=None):
    """Conv → ReLU → Conv → ReLU, length-preserving (zero padding K//2): one U-Net stage."""
    pad = kernel_size // 2
    return Sequential(Conv1d(c_in, c_out, kernel_size, padding=pad, dtype=dtype, rng=rng), ReLU(),
                      Conv1d(c_out, c_out, kernel_size, padding=pad, dtype=dtype, rng=rng), ReLU())


class UNet1d(Module):
    """`UNet1d(in_channels=1, out_channels=1, channels=(8, 16, 32), kernel_size=3, rng=0)` (fig. 11.10).

    `channels` lists the width at each scale, finest first; the last entry is the bottleneck. With
    S = len(channels) scales the input length must be divisible by 2^(S−1). Input (N, C_in, L),
    output (N, C_out, L) logits. Modules: `encoders[k]` (double conv at scale k), `bottleneck`,
    `upsamplers[k]` (ConvTranspose1d, kernel 2, stride 2: scale k+1 → k), `decoders[k]` (double
    conv on the concatenation [skip, upsampled]), `head` (1×1 conv). He initialisation (eq. 7.30).
    """

    def __init__(self, in_channels=1, out_channels=1, channels=(8, 16, 32), kernel_size=3, rng=0, dtype=None):
        super().__init__()
        channels = [int(c) for c in channels]
        if len(channels) < 2:
            raise ValueError(f"UNet1d: channels needs at least two scales (encoder and bottleneck), got {channels}")
        gen = as_generator(rng, "zoo model")
        fine = channels[:-1]
        self.encoders = ModuleList([double_conv(c_in, c, kernel_size, gen, dtype)
                                    for c_in, c in zip([in_channels, *fine[:-1]], fine)])
        self.bottleneck = double_conv(fine[-1], channels[-1], kernel_size, gen, dtype)
        self.upsamplers = ModuleList([ConvTranspose1d(c_coarse, c, 2, stride=2, dtype=dtype, rng=gen)
                                      for c, c_coarse in zip(fine, channels[1:])])
        self.decoders = ModuleList([double_conv(2 * c, c, kernel_size, gen, dtype) for c in fine])
        self.head = Conv1d(fine[0], out_channels, 1, dtype=dtype, rng=gen)
        self.scales = len(channels)
        he_init_(self, gen)

    def forward(self, x):
        factor = 2 ** (self.scales - 1)
        if x.ndim != 3 or x.shape[-1] % factor:
            raise ValueError(f"UNet1d: expected an input (N, C, L) with L divisible by {factor} "
                             f"({self.scales - 1} halvings), got shape {tuple(x.shape)}")
        skips = []
        h = x
        for encoder in self.encoders:
            h = encoder(h)
            skips.append(h)  # the last map at this scale, for the decoder
            h = max_pool1d(h, 2)
        h = self.bottleneck(h)
        for k in reversed(range(len(self.decoders))):
            h = self.upsamplers[k](h)
            h = self.decoders[k](concatenate([skips[k], h], axis=1))  # the U-Net's skip (fig. 11.10)
        return self.head(h)
