"""The MNIST-1D convolutional network of fig. 10.7 and its fully connected baseline (fig. 10.8).

Section 10.2.7: "The fifteen channels of the first hidden layer H1 are each computed using a
kernel size of three and a stride of two with 'valid' padding, giving nineteen spatial
positions. The second hidden layer H2 is also computed using a kernel size of three, a stride of
two, and 'valid' padding. The third hidden layer is computed similarly. At this stage, the
representation has four spatial positions and fifteen channels. These values are reshaped into
a vector of size sixty, which is mapped by a fully connected layer to the ten output
activations." Trained for 100,000 steps of SGD without momentum, learning rate 0.01, batch 100 on
4,000 examples, it fits the training data and reaches ~17 % test error; the fully connected
network with the same hidden-unit counts (285, 135, 60) reaches ~40 % (fig. 10.8).
"""
from __future__ import annotations

from ...nn.activation import ReLU
from ...nn.conv import Conv1d
from ...nn.linear import Flatten, Linear
from ...nn.module import Sequential
from ...checks import as_generator
from ._he import he_init_
from .deep import DeepNetwork
from .mnist1d_mlp import MNIST1D_CLASSES, MNIST1D_INPUTS


def valid_length(length, kernel_size, stride):
    """Positions of a 'valid' (unpadded) convolution: ⌊(D − K)/S⌋ + 1 (40 → 19 → 9 → 4 here)."""
    return (length - kernel_size) // stride + 1


def hidden_lengths(length=MNIST1D_INPUTS, kernel_size=3, stride=2, layers=3):
    """Spatial sizes of the hidden layers H1, H2, H3 of fig. 10.7: [19, 9, 4] for the defaults."""
    sizes = []
    for _ in range(layers):
        length = valid_length(length, kernel_size, stride)
        sizes.append(length)
    return sizes


class MNIST1DCNN(Sequential):
    """`MNIST1DCNN(channels=15, kernel_size=3, stride=2, rng=0)`: the network of fig. 10.7.

    Three layers h = ReLU[β + Σ_j ω_j x_{i+j}] (eq. 10.4, multichannel as section 10.2.5), each
    with `channels` channels, kernel 3, stride 2, valid padding (40 → 19 → 9 → 4 positions), then
    flatten (4·15 = 60 units) and a fully connected layer to 10 logits. 2,050 parameters (as the
    book says): 3·15 + 15, 2·(15·15·3 + 15), 60·10 + 10.

    Input (N, 40) or (N, 1, 40); output (N, 10). The layers are those of
    `nn.Sequential(nn.Conv1d(1, 15, 3, stride=2), nn.ReLU(), nn.Conv1d(15, 15, 3, stride=2),
    nn.ReLU(), nn.Conv1d(15, 15, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(60, 10))`
    (the companion notebook's model), so a PyTorch state dict carries over name for name.
    Convolution weights are PyTorch's (C_out, C_in, K), the transpose of the book's Ω ∈
    R^{C_i×C_o×K} (section 10.2.5). He initialisation with fan-in C_in·K (eq. 7.30, section 10.5).
    """

    def __init__(self, channels=15, kernel_size=3, stride=2, input_length=MNIST1D_INPUTS,
                 num_classes=MNIST1D_CLASSES, rng=0, dtype=None):
        gen = as_generator(rng, "zoo model")
        final_length = hidden_lengths(input_length, kernel_size, stride)[-1]
        if final_length < 1:
            raise ValueError(f"MNIST1DCNN: input_length={input_length} is too short for three valid "
                             f"convolutions of kernel {kernel_size} and stride {stride}")
        layers = []
        for c_in in (1, channels, channels):
            layers += [Conv1d(c_in, channels, kernel_size, stride=stride, dtype=dtype, rng=gen), ReLU()]
        layers += [Flatten(), Linear(channels * final_length, num_classes, dtype=dtype, rng=gen)]
        super().__init__(*layers)
        self.input_length = int(input_length)
        he_init_(self, gen)

    def forward(self, x):
        if x.ndim == 2:  # (N, 40): add the single input channel
            x = x.reshape(x.shape[0], 1, x.shape[1])
        return super().forward(x)


class MNIST1DFullyConnected(DeepNetwork):
    """`MNIST1DFullyConnected(widths=(285, 135, 60), rng=0)`: the baseline of fig. 10.8.

    "A fully connected network with the same number of layers and hidden units (i.e., three
    hidden layers with 285, 135, and 60 hidden units, respectively)" -- 19·15, 9·15 and 4·15, the
    sizes of the CNN's hidden layers. 59,065 parameters (the draft's 150,185 is a misprint;
    docs/conventions.md, "Misprints"). It can represent the CNN exactly (fig. 10.4) but generalises worse.
    """

    def __init__(self, widths=None, rng=0, dtype=None):
        if widths is None:
            widths = [15 * n for n in hidden_lengths()]
        super().__init__(MNIST1D_INPUTS, widths, MNIST1D_CLASSES, rng=rng, dtype=dtype)
