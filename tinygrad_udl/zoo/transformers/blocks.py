"""What the chapter-12 models share: token embeddings with learned positions, and stacks of layers.

Every model of this part is the book's post-LN transformer layer (eq. 12.13) stacked K times:

    X ← LayerNorm[X + MhSa[X]],   x_n ← LayerNorm[x_n + mlp[x_n]]

built from `nn.TransformerEncoderLayer` / `nn.TransformerDecoderLayer` (PyTorch's names) without
dropout (the runs here are short and the book prints no dropout rate). Counting the parameters of
one encoder layer of width D with an MLP of F hidden units (PyTorch's layout):

    attention   in_proj (3D × D + 3D) + out_proj (D × D + D)   = 4D² + 4D   (eqs. 12.10-12.12)
    mlp         linear1 (F × D + F) + linear2 (D × F + D)      = 2DF + F + D
    two norms   γ and β of D each, twice                        = 4D
    total                                                       = 4D² + 2DF + F + 9D

A decoder layer (section 12.8) adds cross-attention (4D² + 4D) and a third norm (2D):
8D² + 2DF + F + 15D.
"""
from __future__ import annotations

import numpy as np

from ...autograd.graph import no_grad
from ...autograd.tensor import Tensor, concatenate
from ...checks import as_generator
from ...nn.attention import TransformerDecoderLayer, TransformerEncoderLayer
from ...nn.linear import Embedding
from ...nn.module import Module, ModuleList


def encoder_layer_parameters(d_model, dim_feedforward) -> int:
    """4D² + 2DF + F + 9D: one `nn.TransformerEncoderLayer` (see the module docstring)."""
    return 4 * d_model ** 2 + 2 * d_model * dim_feedforward + dim_feedforward + 9 * d_model


def decoder_layer_parameters(d_model, dim_feedforward) -> int:
    """8D² + 2DF + F + 15D: one `nn.TransformerDecoderLayer`, with cross-attention and three norms."""
    return 8 * d_model ** 2 + 2 * d_model * dim_feedforward + dim_feedforward + 15 * d_model


def token_ids(tokens, max_len, where) -> np.ndarray:
    """`tokens` (a Tensor or array of ints, shape (N, ..., L)) as an int64 array, L checked against `max_len`."""
    ids = np.asarray(tokens.data if isinstance(tokens, Tensor) else tokens)
    if ids.ndim < 2 or ids.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer token ids of shape (N, L), got {ids.dtype} of shape {ids.shape}")
    if ids.shape[-1] > max_len:
        raise ValueError(f"{where}: sequences of {ids.shape[-1]} tokens are longer than the {max_len} positions "
                         f"the model has learned embeddings for")
    return ids.astype(np.int64, copy=False)


class TokenEmbedding(Module):
    """`TokenEmbedding(vocab_size, max_len, d_model, rng=0)`: X = Ω_e T + Π for token ids T.

    `token` is nn.Embedding(|V|, D): the book's Ω_e ∈ R^{D×|V|} (section 12.5.2, fig. 12.9),
    transposed; its lookup is Ω_e times one-hot columns. `position` is nn.Embedding(max_len, D):
    a learned absolute position embedding, a column of Π per position added to the input
    (section 12.3.1, fig. 12.5). (|V| + max_len)·D parameters. Both start N(0, 1), PyTorch's
    `nn.Embedding` initialisation; every layer after them starts with a LayerNorm of the sum's
    residual branch, so their scale does not need tuning.

    forward(tokens (N, L) ints, or (N, ..., L): several sequences per example) -> (N, ..., L, D).
    With `prefix`, a token id put in front of every sequence (BERT's <cls>), the output has L + 1
    positions.
    """

    def __init__(self, vocab_size, max_len, d_model, rng=0, dtype=None):
        super().__init__()
        gen = as_generator(rng, "TokenEmbedding")
        self.max_len = int(max_len)
        self.token = Embedding(vocab_size, d_model, dtype=dtype, rng=gen)
        self.position = Embedding(max_len, d_model, dtype=dtype, rng=gen)

    def forward(self, tokens, prefix=None):
        ids = token_ids(tokens, self.max_len - (prefix is not None), type(self).__name__)
        x = self.token(ids)
        if prefix is not None:   # joined as tensors: the batch itself indexes the table, so a compiled
            first = self.token.weight[prefix].broadcast_to(*x.shape[:-2], 1, x.shape[-1])   # step can replay it
            x = concatenate([first, x], axis=-2)
        return x + self.position(np.arange(x.shape[-2]))


class TransformerStack(Module):
    """`TransformerStack(d_model, nhead, dim_feedforward, num_layers, causal, rng=0)`: K post-LN layers.

    `layers.0`, `layers.1`, ... are `nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward,
    dropout=0)` (eq. 12.13), named as in PyTorch's `nn.TransformerEncoder`, but each initialised
    from its own draws (`nn.TransformerEncoder` deep-copies one layer, so its layers start equal).
    With `causal=True` every layer uses masked self-attention: the score of key m for query n > m
    is set to −∞ before the softmax (section 12.7.2), so position n sees only tokens 1..n.
    K·(4D² + 2DF + F + 9D) parameters.
    """

    def __init__(self, d_model, nhead, dim_feedforward, num_layers, causal, rng=0, dtype=None):
        super().__init__()
        gen = as_generator(rng, "TransformerStack")
        self.causal = bool(causal)
        self.layers = ModuleList(TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, dtype=dtype,
                                                         rng=gen) for _ in range(num_layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x, is_causal=self.causal)
        return x

    def attention_weights(self, x, layer) -> np.ndarray:
        """The attention weights a[x_m, x_n] (eq. 12.5) of every head of layer `layer` for inputs x
        (N, L, D) of the stack: (N, H, L, L), row n (the query) a distribution over the keys m."""
        if not 0 <= layer < len(self.layers):
            raise ValueError(f"attention_weights: layer must be in 0..{len(self.layers) - 1}, got {layer}")
        with no_grad():
            for earlier in self.layers[:layer]:
                x = earlier(x, is_causal=self.causal)
            # post-LN: the layer's self-attention reads its input unnormalised (eq. 12.13)
            _, weights = self.layers[layer].self_attn(x, x, x, need_weights=True, average_attn_weights=False,
                                                      is_causal=self.causal)
        return weights.data


class DecoderStack(Module):
    """`DecoderStack(d_model, nhead, dim_feedforward, num_layers, rng=0)`: K post-LN decoder layers.

    `layers.i` are `nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout=0)`:
    masked self-attention over the output so far, cross-attention whose queries come from the
    decoder and whose keys and values come from the encoder's output (section 12.8, fig. 12.14),
    then the MLP, each followed by a residual connection and LayerNorm. K·(8D² + 2DF + F + 15D)
    parameters. forward(x (N, L_out, D), memory (N, L_in, D)) -> (N, L_out, D).
    """

    def __init__(self, d_model, nhead, dim_feedforward, num_layers, rng=0, dtype=None):
        super().__init__()
        gen = as_generator(rng, "DecoderStack")
        self.layers = ModuleList(TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, dtype=dtype,
                                                         rng=gen) for _ in range(num_layers))

    def forward(self, x, memory):
        for layer in self.layers:
            x = layer(x, memory, tgt_is_causal=True)
        return x
