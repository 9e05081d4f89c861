"""A 1-D residual network with batch normalisation (chapter 11) for MNIST-1D.

Residual connections (eq. 11.4): each block adds its output to its input, h_{k+1} = h_k + f_k[h_k],
so the gradient has a path that skips every block (the unravelled view of eqs. 11.5-11.6).
The block is the pre-activation ("v2") form of fig. 11.7a -- BN → ReLU → conv → BN → ReLU → conv,
plus the skip -- because with Linear → ReLU at the end of a block it could only add non-negative
values (fig. 11.5). The network starts with a plain convolution (fig. 11.5: "start the network with
a linear layer"), and the residual stream is normalised and passed through a ReLU once more before
the head, as pre-activation ResNets do.

Batch normalisation (eqs. 11.7-11.9; `nn.BatchNorm1d`): per channel, over the batch and the
positions, h ← γ (h − m_h)/s_h + δ with γ = 1, δ = 0 at the start (fig. 11.6). During training
the layer uses the batch's statistics; at test time the book uses statistics over the whole
training set (section 11.4): `train_resnet` freezes those with `nn.calibrate_batchnorm` after
training.

The head averages each channel over the 40 positions (global average pooling, as ResNets do,
section 11.5.1) and maps the channels to 10 logits. The book trains no ResNet on MNIST-1D; the
sizes and the training (Adam, section 6.4) are ours.
"""
from __future__ import annotations

from ...data import DataLoader
from ...nn.conv import Conv1d
from ...nn.linear import Linear
from ...nn.module import Module, Sequential
from ...nn.normalization import BatchNorm1d, calibrate_batchnorm
from ...checks import as_generator
from ._he import he_init_
from .mnist1d_mlp import MNIST1D_CLASSES
from ..runner import evaluation_row, train_model


class ResidualBlock1d(Module):
    """`ResidualBlock1d(channels, kernel_size=3, rng=0)`: h + f[h], f = conv∘ReLU∘BN∘conv∘ReLU∘BN
    (fig. 11.7a, eq. 11.4). Both convolutions keep the length (zero padding K//2) and the channels,
    so f preserves the shape, as eq. 11.4 needs. The first convolution has no bias: the batch norm
    after it subtracts the mean and would cancel it (its δ plays that role)."""

    def __init__(self, channels, kernel_size=3, rng=0, dtype=None):
        super().__init__()
        gen = as_generator(rng, "zoo model")
        pad = kernel_size // 2
        self.bn1 = BatchNorm1d(channels, dtype=dtype)
        self.conv1 = Conv1d(channels, channels, kernel_size, padding=pad, bias=False, dtype=dtype, rng=gen)
        self.bn2 = BatchNorm1d(channels, dtype=dtype)
        self.conv2 = Conv1d(channels, channels, kernel_size, padding=pad, dtype=dtype, rng=gen)

    def forward(self, h):
        f = self.conv1(self.bn1(h).relu())
        f = self.conv2(self.bn2(f).relu())
        return h + f  # eq. 11.4: the skip connection


class ResNet1D(Module):
    """`ResNet1D(channels=32, blocks=3, kernel_size=3, num_classes=10, rng=0)` for MNIST-1D (chapter 11).

    Input (N, 40) or (N, 1, 40); output (N, 10) logits. Layers: `stem` (Conv1d 1 → C, a plain
    linear layer first, fig. 11.5), `blocks` (a Sequential of `ResidualBlock1d`), `bn` (the final
    BN before the ReLU and the average over positions) and `head` (Linear C → 10). Parameter names
    follow PyTorch ('blocks.0.conv1.weight', 'blocks.0.bn1.running_mean', ...). He initialisation
    (eq. 7.30) for every convolution and the head; γ = 1, δ = 0 for every batch norm.
    """

    def __init__(self, channels=32, blocks=3, kernel_size=3, num_classes=MNIST1D_CLASSES, rng=0, dtype=None):
        super().__init__()
        gen = as_generator(rng, "zoo model")
        self.stem = Conv1d(1, channels, kernel_size, padding=kernel_size // 2, dtype=dtype, rng=gen)
        self.blocks = Sequential(*[ResidualBlock1d(channels, kernel_size, rng=gen, dtype=dtype) for _ in range(blocks)])
        self.bn = BatchNorm1d(channels, dtype=dtype)
        self.head = Linear(channels, num_classes, dtype=dtype, rng=gen)
        he_init_(self, gen)

    def forward(self, x):
        if x.ndim == 2:  # (N, 40): add the single input channel
            x = x.reshape(x.shape[0], 1, x.shape[1])
        h = self.blocks(self.stem(x))
        h = self.bn(h).relu().mean(axis=2)  # global average pooling over the positions
        return self.head(h)


def train_resnet(entry, hyper, split, seed, progress=None, compile=True):
    """Train as usual, then freeze whole-training-set batch-norm statistics (section 11.4) and add a
    final history row evaluated with them (the book's test-time rule)."""
    model, history = train_model(entry, hyper, split, seed, progress, compile=compile)
    calibrate_batchnorm(model, DataLoader(split.train[0], batch_size=500))
    row = evaluation_row(model, entry, split, epoch=history.last["epoch"], step=history.last["step"],
                         lr=history.last.get("lr"), bn_statistics="whole training set")
    history.append(row)
    history.info["running_average_test_error"] = history[-2].get("test_error")
    return model, history
