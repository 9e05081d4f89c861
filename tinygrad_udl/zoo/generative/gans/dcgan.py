"""A deep convolutional GAN (section 15.1.3, fig. 15.3) scaled down to the 8×8 digits.

The book's DCGAN maps a 100-D uniform latent linearly to a 4×4 representation with 1,024
channels and doubles the resolution four times with fractionally strided (transposed)
convolutions to 64×64×3, ending in a squashing function to [−1, 1] (tanh; docs/conventions.md,
"Misprints"); the discriminator is a strided CNN down to 1×1×1 and a sigmoid. Section 15.1.4's recipe: strided
convolutions for up- and downsampling, batch norm in both networks except the generator's last
and the discriminator's first layer, leaky ReLUs in the discriminator, Adam with a lower momentum
coefficient (β₁ = 0.5).

Initialisation (Radford et al.'s, not in the book): every convolution and linear weight
N(0, 0.02²), biases 0; He initialisation (eq. 7.30) would make the transposed convolutions, whose
PyTorch fan-in counts C_out·K² instead of the C_in·(K/S)² inputs each output sums, saturate the
tanh from the start.

Here, for 8×8×1 images: z ~ U[−1, 1]^L (L = 32) → Linear to 2×2 with C = 64 channels → BN, ReLU
→ ConvTranspose2d(C, C/2, 4, stride 2, padding 1) to 4×4 → BN, ReLU → ConvTranspose2d(C/2, 1, 4,
2, 1) to 8×8 → tanh. Discriminator: Conv2d(1, D, 4, 2, 1) to 4×4 → LeakyReLU(0.2) →
Conv2d(D, 2D, 4, 2, 1) to 2×2 → BN, LeakyReLU(0.2) → Conv2d(2D, 1, 2) to 1×1: the logit.
"""
from __future__ import annotations

from ....checks import as_generator
from ....nn import init
from ....nn.activation import LeakyReLU, ReLU, Tanh
from ....nn.conv import Conv2d, ConvTranspose2d
from ....nn.linear import Flatten, Linear
from ....nn.module import Module, Sequential
from ....nn.normalization import BatchNorm2d
from .adversarial import GAN
from .networks import LEAKY_SLOPE

DIGITS_LATENT = 32
INIT_STD = 0.02
_WEIGHTED = (Linear, Conv2d, ConvTranspose2d)


def dcgan_init_(module, rng):
    """Weights N(0, 0.02²) and zero biases for every linear and convolution layer of `module`."""
    for layer in module.modules():
        if isinstance(layer, _WEIGHTED):
            init.normal_(layer.weight, 0.0, INIT_STD, rng=rng)
            if layer.bias is not None:
                init.zeros_(layer.bias)
    return module


class DCGANGenerator(Module):
    """`DCGANGenerator(latent=32, channels=64, rng=0)`: z (N, L) → images (N, 1, 8, 8) in [−1, 1].

    `project` Linear(L, 4C) (reshaped to (C, 2, 2)), `net` = BatchNorm2d(C), ReLU,
    ConvTranspose2d(C, C/2, 4, 2, 1), BatchNorm2d(C/2), ReLU, ConvTranspose2d(C/2, 1, 4, 2, 1), Tanh.
    Parameters: (L + 1)·4C + 2C + (16·C·C/2 + C/2) + 2·C/2 + (16·C/2 + 1) = 41,953 for L = 32, C = 64.
    """

    def __init__(self, latent=DIGITS_LATENT, channels=64, rng=0, dtype=None):
        super().__init__()
        if channels < 2 or channels % 2:
            raise ValueError(f"DCGANGenerator: channels must be an even number >= 2, got {channels}")
        gen = as_generator(rng, "DCGANGenerator")
        half = channels // 2
        self.channels = int(channels)
        self.project = Linear(latent, 4 * channels, dtype=dtype, rng=gen)
        self.net = Sequential(
            BatchNorm2d(channels, dtype=dtype), ReLU(),
            ConvTranspose2d(channels, half, 4, stride=2, padding=1, dtype=dtype, rng=gen),
            BatchNorm2d(half, dtype=dtype), ReLU(),
            ConvTranspose2d(half, 1, 4, stride=2, padding=1, dtype=dtype, rng=gen), Tanh())
        dcgan_init_(self, gen)

    def forward(self, z):
        return self.net(self.project(z).reshape(z.shape[0], self.channels, 2, 2))


class DCGANDiscriminator(Sequential):
    """`DCGANDiscriminator(channels=32, rng=0)`: images (N, 1, 8, 8) → logits (N,).

    Conv2d(1, D, 4, 2, 1), LeakyReLU(0.2), Conv2d(D, 2D, 4, 2, 1), BatchNorm2d(2D), LeakyReLU(0.2),
    Conv2d(2D, 1, 2), Flatten. Parameters: (16D + D) + (16·D·2D + 2D) + 2·2D + (4·2D + 1) = 33,761
    for D = 32.
    """

    def __init__(self, channels=32, rng=0, dtype=None):
        gen = as_generator(rng, "DCGANDiscriminator")
        double = 2 * channels
        super().__init__(
            Conv2d(1, channels, 4, stride=2, padding=1, dtype=dtype, rng=gen), LeakyReLU(LEAKY_SLOPE),
            Conv2d(channels, double, 4, stride=2, padding=1, dtype=dtype, rng=gen), BatchNorm2d(double, dtype=dtype),
            LeakyReLU(LEAKY_SLOPE), Conv2d(double, 1, 2, dtype=dtype, rng=gen), Flatten(start_dim=0))
        dcgan_init_(self, gen)


class DCGAN(GAN):
    """`DCGAN(latent=32, generator_channels=64, discriminator_channels=32, rng=0)`: the DCGAN of
    section 15.1.3 for the 8×8 digits (see the module docstring), uniform latent, non-saturating
    generator loss. 75,714 parameters for the defaults (41,953 + 33,761)."""

    def __init__(self, latent=DIGITS_LATENT, generator_channels=64, discriminator_channels=32, rng=0, dtype=None):
        gen = as_generator(rng, "DCGAN")
        super().__init__(DCGANGenerator(latent, generator_channels, rng=gen, dtype=dtype),
                         DCGANDiscriminator(discriminator_channels, rng=gen, dtype=dtype), latent_shape=latent,
                         latent="uniform", saturating=False)
