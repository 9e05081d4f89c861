"""Attention and transformer layers (chapter 12) in the row layout.

The book writes tokens as the columns of a D×N matrix X and computes (eqs. 12.6-12.12)

    V = β_v1ᵀ + Ω_vX,  Q = β_q1ᵀ + Ω_qX,  K = β_k1ᵀ + Ω_kX,   Sa[X] = V·Softmax[KᵀQ/√D_q]

with the softmax over each column (over the keys), D_q the per-head dimension D/H, and
MhSa[X] = Ω_c[Sa₁[X]ᵀ, ..., Sa_H[X]ᵀ]ᵀ. Here tokens are rows (docs/conventions.md, "Attention
layout"): X is (N, L, D) (batch_first, the default) or (L, D), Q = XΩ_qᵀ + β_q, and

    Sa = Softmax(Q Kᵀ/√D_h) V      softmax over each row (over the keys),

heads are consecutive blocks of D_h = D/H columns, concatenated and sent through `out_proj`
(Ω_c, plus a bias β_c PyTorch has and the book omits: `bias=False` drops every bias). The two
forms are transposes of each other; the tests compute the column form and compare.

Parameters are named as PyTorch's `nn.MultiheadAttention`: `in_proj_weight` (3D, D) stacks
[Ω_q; Ω_k; Ω_v] and `in_proj_bias` (3D,) stacks [β_q; β_k; β_v] when key and value have the
model's width; with `kdim` / `vdim` the weights are separate `q_proj_weight`, `k_proj_weight`,
`v_proj_weight`. The output projection is `out_proj` (a Linear).

Masks (PyTorch's MultiheadAttention semantics): a boolean `attn_mask` or `key_padding_mask` is
True where attention is NOT allowed; a float `attn_mask` is added to the scores. `is_causal`
masks key m > query n (eq. 12.14, §12.7.2). **Fully masked rows** (a query with no allowed key,
where PyTorch returns NaN) are defined here: their attention weights are all zero, so the
attention output for that query is the zero vector (then `out_proj` adds its bias); gradients
stay finite.

Self-attention is permutation equivariant: permuting the tokens permutes the output (P12.4 says
"invariant", an erratum).
"""
from __future__ import annotations

import copy
import math

import numpy as np

from ..autograd import rules as R
from ..autograd.rules import primitive
from ..autograd.samples import inputs, normal
from ..autograd.tensor import ShapeError, Tensor, apply, tensor
from ..checks import optional_generator
from . import init
from .activation import gelu, relu
from .dropout import Dropout, dropout
from .linear import Linear, linear
from .module import Module, ModuleList, Parameter, default_float_dtype
from .normalization import LayerNorm

__all__ = ["attention", "scaled_dot_product_attention", "causal_mask", "sinusoidal_position_encoding",
           "MultiheadAttention",
           "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
           "SinusoidalPositionalEncoding", "LearnedPositionalEncoding"]


def causal_mask(length, key_length=None):
    """Boolean (L, S) mask, True above the diagonal: query n may not attend to key m > n (eq. 12.14)."""
    return np.triu(np.ones((length, length if key_length is None else key_length), dtype=bool), k=1)


def _split_mask(mask, dtype, op):
    """A mask as (blocked: bool array or None, additive: float array or None)."""
    if mask is None:
        return None, None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype == bool:
        return mask, None
    if mask.dtype.kind != "f":
        raise TypeError(f"{op}: a mask must be boolean (True = not allowed) or float (added to the scores), "
                        f"got {mask.dtype}")
    return None, mask.astype(dtype, copy=False)


def _masked_softmax(o, x, blocked, axis):
    """Softmax along `axis` over the allowed entries (eq. 12.9's Softmax with a mask, eq. 12.14):
    `blocked` (bool, broadcastable to x, True = not allowed, or None) entries get weight 0, and a
    row with no allowed entry -- every entry blocked or -inf -- gets zero weights instead of the
    0/0 = NaN of a plain softmax. Elsewhere the numbers are the softmax primitive's, bit for bit
    (rules._softmax): the row sum is 0 only in a row with no allowed entry (the row's max
    contributes exp(0) = 1 otherwise), and is replaced by 1 there, where every exp is 0."""
    if blocked is not None:
        x = np.where(blocked, x.dtype.type(-np.inf), x)
    e = np.exp(x - R._shift(o, x, axis))
    sums = e.sum(axis=axis, keepdims=True)
    sums[sums == 0] = 1
    return np.divide(e, sums, out=e)


# The softmax's VJP, out * (g - sum(g * out)): blocked entries and dead rows have out = 0, so
# their gradient is 0 without a mask (what the `where` before a plain softmax gave them).
MASKED_SOFTMAX = primitive("masked_softmax", _masked_softmax,
                           lambda o, g, out, x, blocked, axis: R.SOFTMAX.vjps[0](o, g, out, x, axis),
                           sample=inputs(normal(3, 4), blocked=np.array([[False, True, False, False],
                                                                         [True, True, True, True],
                                                                         [False, False, False, True]]),
                                         axis=1))


def attention(query, key, value, attn_mask=None, is_causal=False, scale=None, dropout_p=0.0, training=True,
              rng=None):
    """Scaled dot-product attention on the last two axes: Softmax(Q Kᵀ · scale + mask) V (eq. 12.9, rows).

    query (..., L, d), key (..., S, d), value (..., S, d_v); leading axes broadcast. `scale`
    defaults to 1/√d (d = the per-head dimension, eq. 12.9). `attn_mask` broadcastable to
    (..., L, S): boolean (True = not allowed) or float (added). Returns (output (..., L, d_v),
    weights (..., L, S)); rows with no allowed key get zero weights and a zero output.
    Note: PyTorch's `F.scaled_dot_product_attention` reads a boolean mask the other way round
    (True = allowed); this function uses nn.MultiheadAttention's reading.
    """
    op = "attention"
    query, key, value = tensor(query), tensor(key), tensor(value)
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ShapeError(f"{op}: query, key and value need at least 2 axes (..., tokens, features), got shapes "
                         f"{query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{op}: query {query.shape} and key {key.shape} need the same last axis, key and value "
                         f"{value.shape} the same number of tokens (axis -2)")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.swapaxes(-1, -2)) * scale                                   # (..., L, S)
    blocked, additive = _split_mask(attn_mask, scores.dtype, op)
    if is_causal:
        causal = causal_mask(query.shape[-2], key.shape[-2])
        blocked = causal if blocked is None else blocked | causal
    if additive is not None:
        scores = scores + additive
    weights = apply(MASKED_SOFTMAX, scores, blocked=blocked, axis=-1)   # rows with no allowed key: 0
    mixed = dropout(weights, dropout_p, training, rng=rng) if dropout_p else weights
    return mixed @ value, weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 rng=None):
    """PyTorch's `F.scaled_dot_product_attention`: the output of `attention`, with PyTorch's reading of
    a boolean mask for this function (True = the key TAKES PART). A float mask is added. Dropout with
    `dropout_p` is applied whenever it is > 0, as PyTorch. Differences: a query with no allowed key
    gets a zero output here (PyTorch: NaN)."""
    if attn_mask is not None:
        mask = np.asarray(attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask)
        attn_mask = ~mask if mask.dtype == bool else mask
    return attention(query, key, value, attn_mask, is_causal, scale, dropout_p, True, rng)[0]


class MultiheadAttention(Module):
    """`MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None,
    batch_first=True, *, dtype=None, rng=None)`: multi-head (cross-)attention, eqs. 12.10-12.12.

    `forward(query, key=None, value=None, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)` returns (output, weights).
    key / value default to query (self-attention, one matmul for Q, K and V); for cross-attention
    (§12.8) pass the encoder's output as key and value. Inputs are (N, L, D) (`batch_first=True`,
    the default here; PyTorch's default is False, (L, N, D)) or unbatched (L, D).
    `key_padding_mask` (N, S): True marks padding keys. `attn_mask` (L, S) or (N·H, L, S).
    Weights are averaged over heads (N, L, S) unless average_attn_weights=False (N, H, L, S).

    Initialisation as PyTorch: Glorot-uniform in-projections, zero in-projection and output biases;
    out_proj.weight uses Linear's initialisation.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None, batch_first=True, *,
                 dtype=None, rng=None):
        super().__init__()
        if not isinstance(num_heads, int) or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: num_heads={num_heads!r} must be a positive integer dividing "
                             f"embed_dim={embed_dim} (each head has embed_dim/num_heads dimensions, §12.3.3)")
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiheadAttention: dropout must lie in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.dropout, self.batch_first = float(dropout), batch_first
        rng = optional_generator(rng, "attention")
        self.rng = rng
        dtype = default_float_dtype(dtype)
        self.packed = self.kdim == embed_dim and self.vdim == embed_dim
        if self.packed:
            self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dtype))
            init.glorot_uniform_(self.in_proj_weight, rng=rng)
        else:
            widths = (("q_proj_weight", embed_dim), ("k_proj_weight", self.kdim), ("v_proj_weight", self.vdim))
            for name, width in widths:
                setattr(self, name, Parameter(np.zeros((embed_dim, width), dtype)))
                init.glorot_uniform_(getattr(self, name), rng=rng)
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, rng=rng)

    def _projection(self, i):
        """(Ω, β) of the query (0), key (1) or value (2) projection."""
        e = self.embed_dim
        if self.packed:
            weight = self.in_proj_weight[i * e:(i + 1) * e]
        else:
            weight = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[i]
        return weight, None if self.in_proj_bias is None else self.in_proj_bias[i * e:(i + 1) * e]

    def _heads(self, x):
        """(N, L, D) -> (N, H, L, D/H): head h takes columns h·D/H .. (h+1)·D/H (eq. 12.12's stacking)."""
        n, length = x.shape[:2]
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def forward(self, query, key=None, value=None, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        op = "MultiheadAttention"
        self_attention = key is None and value is None or (key is query and value is query)
        key = query if key is None else key
        value = key if value is None else value
        query, key, value = tensor(query), tensor(key), tensor(value)
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.swapaxes(0, 1) for t in (query, key, value))
        if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
            raise ShapeError(f"{op}: expected (N, L, D) inputs (or unbatched (L, D)), got {query.shape}, "
                             f"{key.shape}, {value.shape}")
        for name, t, width in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != width:
                raise ShapeError(f"{op}: {name} has {t.shape[-1]} features (shape {t.shape}), expected {width}")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ShapeError(f"{op}: key {key.shape} and value {value.shape} need the same batch and token axes, "
                             f"and the batch size of query {query.shape}")
        n, length, e = query.shape
        source = key.shape[1]
        if self_attention and self.packed:  # one matmul for Q, K and V (eq. 12.6-12.8 side by side)
            qkv = linear(query, self.in_proj_weight, self.in_proj_bias)
            qkv = qkv.reshape(n, length, 3, self.num_heads, self.head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            q, k, v = (self._heads(linear(t, *self._projection(i))) for i, t in enumerate((query, key, value)))
        mask = self._mask(attn_mask, key_padding_mask, n, length, source, q.dtype, op)
        out, weights = attention(q, k, v, mask, is_causal, None, self.dropout, self.training, self.rng)
        out = self.out_proj(out.transpose(0, 2, 1, 3).reshape(n, length, e))   # concatenate heads, Ω_c
        if unbatched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        weights = weights.mean(axis=1) if average_attn_weights else weights
        return out, (weights.squeeze(0) if unbatched else weights)

    def _mask(self, attn_mask, key_padding_mask, n, length, source, dtype, op):
        """attn_mask and key_padding_mask combined into one mask broadcastable to (N, H, L, S)."""
        blocked, additive = _split_mask(attn_mask, dtype, op)
        mask = blocked if blocked is not None else additive
        if mask is not None:
            if mask.shape == (length, source):
                pass
            elif mask.shape == (n * self.num_heads, length, source):
                mask = mask.reshape(n, self.num_heads, length, source)
            else:
                raise ShapeError(f"{op}: attn_mask has shape {mask.shape}; expected (L, S) = {(length, source)} or "
                                 f"(N*H, L, S) = {(n * self.num_heads, length, source)}")
        if key_padding_mask is None:
            return mask
        padding = np.asarray(key_padding_mask.data if isinstance(key_padding_mask, Tensor) else key_padding_mask)
        if padding.shape == (source,):
            padding = padding[None]
        if padding.shape != (n, source) or padding.dtype != bool:
            raise ShapeError(f"{op}: key_padding_mask must be boolean (N, S) = {(n, source)}, "
                             f"got {padding.dtype} {padding.shape}")
        padding = padding[:, None, None, :]
        if mask is None:
            return padding
        return mask | padding if mask.dtype == bool else np.where(padding, -np.inf, mask).astype(dtype)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


# ---- transformer layers (§12.4) -----------------------------------------------------------------------


def _activation(activation, op):
    if callable(activation):
        return activation
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    raise ValueError(f"{op}: activation must be 'relu', 'gelu' or a function, got {activation!r}")


class _TransformerLayer(Module):
    """What the encoder and decoder layers share, built in PyTorch's order and with its names:
    self_attn (then multihead_attn for cross-attention), the MLP of eq. 12.13 (linear1 ->
    activation -> dropout -> linear2), norm1..n and dropout1..n (n = 2, or 3 with cross-attention)."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                 norm_first, bias, dtype, rng, cross_attention):
        super().__init__()
        rng = optional_generator(rng, "attention")
        for name in ("self_attn", "multihead_attn") if cross_attention else ("self_attn",):
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout, bias, batch_first=batch_first,
                                                   dtype=dtype, rng=rng))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=rng)
        self.activation = _activation(activation, type(self).__name__)
        sublayers = 3 if cross_attention else 2
        for i in range(1, sublayers + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype))
        for i in range(1, sublayers + 1):
            setattr(self, f"dropout{i}", Dropout(dropout, rng=rng))
        self.norm_first = norm_first

    def _sa(self, x, mask, padding, is_causal):
        out, _ = self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False, attn_mask=mask,
                                is_causal=is_causal)
        return self.dropout1(out)

    def _ff(self, x, last_dropout):
        return last_dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_TransformerLayer):
    """`TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
    layer_norm_eps=1e-5, batch_first=True, norm_first=False, bias=True, *, dtype=None, rng=None)`.

    norm_first=False is the book's post-LN layer (eq. 12.13):
        X ← LayerNorm[X + MhSa[X]];  X ← LayerNorm[X + mlp[X]]
    norm_first=True is pre-LN, X ← X + MhSa[LayerNorm[X]]; X ← X + mlp[LayerNorm[X]] (more stable;
    post-LN needs Adam with warm-up). Sub-module names are PyTorch's: self_attn, linear1, dropout,
    linear2, norm1, norm2, dropout1, dropout2. `forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False)`.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=True, norm_first=False, bias=True, *, dtype=None, rng=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, dtype, rng, cross_attention=False)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = tensor(src)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff(x, self.dropout2))


class TransformerDecoderLayer(_TransformerLayer):
    """`TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
    layer_norm_eps=1e-5, batch_first=True, norm_first=False, bias=True, *, dtype=None, rng=None)`.

    Masked self-attention, cross-attention to the encoder's output `memory` (§12.8), then the MLP,
    each with a residual connection and LayerNorm (post-LN by default, as eq. 12.13; pre-LN with
    norm_first=True). Names as PyTorch: self_attn, multihead_attn, linear1, linear2, norm1..3,
    dropout, dropout1..3. `forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)`.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=True, norm_first=False, bias=True, *, dtype=None, rng=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, dtype, rng, cross_attention=True)

    def _ca(self, x, memory, mask, padding, is_causal):
        out, _ = self.multihead_attn(x, memory, memory, key_padding_mask=padding, need_weights=False, attn_mask=mask,
                                     is_causal=is_causal)
        return self.dropout2(out)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x, memory = tensor(tgt), tensor(memory)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._ca(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._ca(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff(x, self.dropout3))


class TransformerEncoder(Module):
    """`TransformerEncoder(encoder_layer, num_layers, norm=None)`: `num_layers` independent copies of
    the layer (deep copies, as PyTorch; call `reset_parameters`-style initialisation yourself if the
    copies should differ), then an optional final norm. Sub-modules: layers.0, layers.1, ..., norm."""

    def __init__(self, encoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        for layer in self.layers:
            x = layer(x, mask, src_key_padding_mask, is_causal)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """`TransformerDecoder(decoder_layer, num_layers, norm=None)`: a stack of decoder layers (deep copies)."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList(copy.deepcopy(decoder_layer) for _ in range(num_layers))
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal,
                      memory_is_causal)
        return x if self.norm is None else self.norm(x)


# ---- position encodings (§12.4.1, fig. 12.5) ---------------------------------------------------------------


def sinusoidal_position_encoding(length, d_model, dtype=None):
    """Π as an (L, D) array (row layout; the book's D×N matrix transposed): Π[n, 2i] = sin(n/10000^{2i/D}),
    Π[n, 2i+1] = cos(n/10000^{2i/D}) (Vaswani et al.; fig. 12.5, standard, not in the book)."""
    position = np.arange(length, dtype=np.float64)[:, None]
    frequency = 10000.0 ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(position * frequency)
    pe[:, 1::2] = np.cos(position * frequency[: d_model // 2])
    return pe.astype(default_float_dtype(dtype))


class SinusoidalPositionalEncoding(Module):
    """`SinusoidalPositionalEncoding(d_model, max_len=5000, dtype=None)`: X + Π[:L] for X (N, L, D) or (L, D).

    Π is a fixed, non-persistent buffer `pe` (L, D) (not saved in state_dict; it is recomputed)."""

    def __init__(self, d_model, max_len=5000, dtype=None):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", sinusoidal_position_encoding(max_len, d_model, dtype), persistent=False)

    def forward(self, x):
        return _add_positions(tensor(x), Tensor._wrap(self.pe), type(self).__name__)

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEncoding(Module):
    """`LearnedPositionalEncoding(max_len, d_model, std=0.02, dtype=None, rng=None)`: X + W[:L] with a
    learned `weight` (max_len, D), N(0, std²) at the start (BERT / GPT-2's choice; ViT's learned
    positions, §12.10; standard, not in the book)."""

    def __init__(self, max_len, d_model, std=0.02, dtype=None, rng=None):
        super().__init__()
        self.max_len, self.d_model = max_len, d_model
        self.weight = Parameter(np.zeros((max_len, d_model), default_float_dtype(dtype)))
        init.normal_(self.weight, 0.0, std, rng=rng)

    def forward(self, x):
        return _add_positions(tensor(x), self.weight, type(self).__name__)

    def extra_repr(self):
        return f"max_len={self.max_len}, d_model={self.d_model}"


def _add_positions(x, table, op):
    if x.ndim not in (2, 3) or x.shape[-1] != table.shape[1] or x.shape[-2] > table.shape[0]:
        raise ShapeError(f"{op}: expected (N, L, D) or (L, D) with D = {table.shape[1]} and L <= {table.shape[0]} "
                         f"(max_len), got shape {x.shape}")
    return x + table[: x.shape[-2]]
