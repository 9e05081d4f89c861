"""Fully connected players for low-dimensional data: the generators and critics of the 2-D ring and
the 1-D Wasserstein experiment (PyTorch `nn.Sequential` layouts, so parameter names are '0.weight',
'2.weight', ...).

A discriminator or critic starts undecided: its last layer's weights are 0, so f ≡ 0 (sig f = 1/2)
and its first steps follow the game's objective. With He weights there too a critic starts as a
random function of slope ~5, and a gradient penalty can hold it there: measured on wgan-1d, a
critic that began with f larger on the generated points than on the real ones stayed so (a local
minimum of eq. 15.16 plus the penalty: turning f over means passing through slopes far from 1)
and estimated W₁ as −1.1 instead of +1.2.
"""
from __future__ import annotations

from ....checks import as_generator
from ....nn import init
from ....nn.activation import LeakyReLU, ReLU
from ....nn.linear import Linear
from ....nn.module import Sequential

# The slope of the leaky ReLUs of every discriminator and critic (the DCGAN recipe, section 15.1.4).
LEAKY_SLOPE = 0.2


def mlp(sizes, leaky=False, rng=0, dtype=None):
    """Linear layers between consecutive `sizes`, each but the last followed by a ReLU (generators)
    or a leaky ReLU of slope 0.2 (`leaky=True`: discriminators, section 15.1.4). He-uniform weights
    and zero biases (eq. 7.30; `nn.Linear`'s initialisation). Σ_k (D_k + 1) D_{k+1} parameters."""
    if len(sizes) < 2:
        raise ValueError(f"mlp: give at least the input and output sizes, got {list(sizes)}")
    gen = as_generator(rng, "mlp")
    layers = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(d_in, d_out, dtype=dtype, rng=gen), LeakyReLU(LEAKY_SLOPE) if leaky else ReLU()]
    return Sequential(*layers[:-1])


def critic_mlp(sizes, undecided=True, rng=0, dtype=None):
    """`mlp(sizes, leaky=True)`, with the last layer's weights set to 0 when `undecided`: f ≡ 0.
    (A gradient check wants `undecided=False`: with f ≡ 0 every other gradient is 0 too.)"""
    network = mlp(sizes, leaky=True, rng=rng, dtype=dtype)
    if undecided:
        init.zeros_(network[len(network) - 1].weight)
    return network
