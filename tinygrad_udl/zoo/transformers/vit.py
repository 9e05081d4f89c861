"""A vision transformer on MNIST-1D (section 12.10.2, fig. 12.17).

The Vision Transformer cuts an image into patches, maps each patch to an embedding by a learned
linear transformation, adds learned 1-D position embeddings, and passes the patch embeddings and
a <cls> token through a transformer encoder; the <cls> output is mapped to class logits. Here
the "image" is an MNIST-1D signal (40 samples, the data of figs. 8.1 and 10.7-10.8) cut into 10
patches of 4 samples, so the model can be read beside the convolutional network of fig. 10.7 on
the same data. The book's point about the two (section 12.10.2): the transformer has no built-in
notion of nearby samples, which the convolution's inductive bias supplies, and must learn it from
the data.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor, concatenate
from ...checks import as_generator
from ...nn.attention import LearnedPositionalEncoding
from ...nn.conv import Conv1d
from ...nn.linear import Linear
from ...nn.module import Module, Parameter, default_float_dtype
from ..supervised.mnist1d_mlp import MNIST1D_CLASSES, MNIST1D_INPUTS
from .blocks import TransformerStack


class VisionTransformer1d(Module):
    """`VisionTransformer1d(patch_size=4, d_model=32, nhead=4, num_layers=2, dim_feedforward=64, rng=0)`.

    For an input of length 40 (N_p = 40/P patches):

    - `conv_proj`: nn.Conv1d(1, D, P, stride=P), the learned linear map of each patch to D numbers
      (torchvision's ViT name; a convolution whose stride is its kernel size is one linear map per
      patch), (P + 1)·D parameters;
    - `class_token`: the <cls> embedding, (1, 1, D), zeros at the start (torchvision's choice), D;
    - `positions`: `nn.LearnedPositionalEncoding(N_p + 1, D)`, learned 1-D position embeddings
      (section 12.3.1), N(0, 0.02²) at the start, (N_p + 1)·D;
    - `transformer`: K post-LN layers without a mask (eq. 12.13), K·(4D² + 2DF + F + 9D);
    - `head`: nn.Linear(D, 10) on the <cls> output, (D + 1)·10.

    The defaults: 160 + 32 + 352 + 2·8,544 + 330 = 17,962 parameters. forward(x (N, 40) or
    (N, 1, 40)) -> logits (N, 10).
    """

    def __init__(self, patch_size=4, d_model=32, nhead=4, num_layers=2, dim_feedforward=64,
                 input_length=MNIST1D_INPUTS, num_classes=MNIST1D_CLASSES, rng=0, dtype=None):
        super().__init__()
        if input_length % patch_size:
            raise ValueError(f"VisionTransformer1d: patch_size={patch_size} must divide input_length={input_length}")
        gen = as_generator(rng, "VisionTransformer1d")
        self.input_length, self.num_patches = int(input_length), input_length // patch_size
        self.conv_proj = Conv1d(1, d_model, patch_size, stride=patch_size, dtype=dtype, rng=gen)
        self.class_token = Parameter(np.zeros((1, 1, d_model), default_float_dtype(dtype)))
        self.positions = LearnedPositionalEncoding(self.num_patches + 1, d_model, dtype=dtype, rng=gen)
        self.transformer = TransformerStack(d_model, nhead, dim_feedforward, num_layers, causal=False, rng=gen,
                                            dtype=dtype)
        self.head = Linear(d_model, num_classes, dtype=dtype, rng=gen)

    def forward(self, x):
        return self.head(self.transformer(self.tokens(x))[:, 0])

    def tokens(self, x):
        """The transformer's input (N, N_p + 1, D): <cls>, then the patch embeddings, plus positions."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim == 2:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        if x.ndim != 3 or x.shape[1:] != (1, self.input_length):
            raise ValueError(f"VisionTransformer1d: expected signals (N, {self.input_length}) or "
                             f"(N, 1, {self.input_length}), got shape {x.shape}")
        patches = self.conv_proj(x).swapaxes(1, 2)                    # (N, N_p, D)
        cls = self.class_token.broadcast_to(x.shape[0], 1, patches.shape[2])
        return self.positions(concatenate([cls, patches], axis=1))
