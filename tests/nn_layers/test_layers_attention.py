"""Attention and transformer layers (chapter 12) against the book's column form, transposed.

The reference below computes eqs. 12.2-12.12 literally: tokens are columns of X (D×N),
Sa_h = V_h·Softmax[K_hᵀQ_h/√D_q] with the softmax over each column (over keys), the heads
stacked and multiplied by Ω_c. The library works on rows; the tests transpose.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.nn.attention import (LearnedPositionalEncoding, MultiheadAttention, SinusoidalPositionalEncoding,
                                       TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                                       TransformerEncoderLayer, attention, causal_mask, scaled_dot_product_attention,
                                       sinusoidal_position_encoding)

from nn_layers_testing import assert_grads, assert_module_grads, permutation_matrix


def column_softmax(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def column_mhsa(x_query, x_source, weights, heads, causal=False):
    """MhSa in the book's column layout (eqs. 12.6-12.12); x_* are D×N (one token per column)."""
    (wq, wk, wv), (bq, bk, bv), (wc, bc) = weights
    q = bq[:, None] + wq @ x_query  # eq. 12.6-12.8 (beta 1^T + Omega X)
    k = bk[:, None] + wk @ x_source
    v = bv[:, None] + wv @ x_source
    dq = q.shape[0] // heads
    stacked = []
    for h in range(heads):
        rows = slice(h * dq, (h + 1) * dq)
        scores = k[rows].T @ q[rows] / math.sqrt(dq)  # (keys m) x (queries n): k_m^T q_n
        if causal:
            scores = np.where(np.triu(np.ones(scores.shape), 1).T.astype(bool), -np.inf, scores)
        stacked.append(v[rows] @ column_softmax(scores))  # eq. 12.9-12.10
    return wc @ np.vstack(stacked) + bc[:, None]  # eq. 12.12 (plus PyTorch's output bias)


def book_weights(mha):
    """The book's Ω_q, Ω_k, Ω_v, β's and Ω_c read off the PyTorch-named parameters."""
    e = mha.embed_dim
    if mha.packed:
        w = mha.in_proj_weight.data
        ws = (w[:e], w[e:2 * e], w[2 * e:])
    else:
        ws = (mha.q_proj_weight.data, mha.k_proj_weight.data, mha.v_proj_weight.data)
    b = mha.in_proj_bias.data
    return ws, (b[:e], b[e:2 * e], b[2 * e:]), (mha.out_proj.weight.data, mha.out_proj.bias.data)


def _randomise_biases(module, rng):
    for _, p in module.named_parameters():
        if p.ndim == 1:
            p.data[...] = rng.standard_normal(p.shape)


@settings(max_examples=15)
@given(heads=st.integers(1, 3), head_dim=st.integers(1, 3), n=st.integers(1, 5), batch=st.integers(1, 2),
       causal=st.booleans(), seed=st.integers(0, 999))
def test_self_attention_is_the_books_column_form_transposed(heads, head_dim, n, batch, causal, seed):
    rng = np.random.default_rng(seed)
    d = heads * head_dim
    mha = MultiheadAttention(d, heads, dtype=np.float64, rng=rng)
    _randomise_biases(mha, rng)
    x = rng.standard_normal((batch, n, d))
    out, _ = mha(Tensor(x), is_causal=causal)
    for b in range(batch):
        expected = column_mhsa(x[b].T, x[b].T, book_weights(mha), heads, causal).T
        np.testing.assert_allclose(out.data[b], expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=10)
@given(n_dec=st.integers(1, 4), n_enc=st.integers(1, 5), separate=st.booleans(), seed=st.integers(0, 999))
def test_cross_attention_queries_from_the_decoder_keys_and_values_from_the_encoder(n_dec, n_enc, separate, seed):
    rng = np.random.default_rng(seed)
    d, heads = 4, 2
    mha = MultiheadAttention(d, heads, kdim=d if not separate else 3, vdim=d if not separate else 3,
                             dtype=np.float64, rng=rng)
    _randomise_biases(mha, rng)
    width = mha.kdim
    decoder, encoder = rng.standard_normal((n_dec, d)), rng.standard_normal((n_enc, width))
    out, weights = mha(Tensor(decoder), Tensor(encoder), Tensor(encoder))  # unbatched (L, D)
    assert out.shape == (n_dec, d) and weights.shape == (n_dec, n_enc)  # output D x N_dec (section 12.8)
    np.testing.assert_allclose(out.data, column_mhsa(decoder.T, encoder.T, book_weights(mha), heads).T, rtol=1e-10)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-12)


@settings(max_examples=10)
@given(n=st.integers(2, 6), seed=st.integers(0, 999))
def test_self_attention_is_permutation_equivariant_not_invariant(n, seed):
    # P12.4 (final answer): Sa[XP] = Sa[X]P; in rows, permuting the tokens permutes the output rows.
    rng = np.random.default_rng(seed)
    mha = MultiheadAttention(6, 2, dtype=np.float64, rng=rng)
    x = rng.standard_normal((n, 6))
    p = permutation_matrix(rng, n)
    out = mha(Tensor(x))[0].data
    np.testing.assert_allclose(mha(Tensor(p @ x))[0].data, p @ out, rtol=1e-10, atol=1e-12)
    if not np.allclose(p, np.eye(n)) and not np.allclose(p @ out, out):
        assert not np.allclose(mha(Tensor(p @ x))[0].data, out)  # not invariant


def test_causal_mask_hides_the_future():
    rng = np.random.default_rng(1)
    mha = MultiheadAttention(4, 2, dtype=np.float64, rng=rng)
    x = rng.standard_normal((2, 5, 4))
    out, weights = mha(Tensor(x), is_causal=True, average_attn_weights=False)
    assert weights.shape == (2, 2, 5, 5)
    np.testing.assert_array_equal(np.triu(weights.data, 1), 0)  # key m > query n gets no weight (eq. 12.14)
    changed = x.copy()
    changed[:, 3:] = rng.standard_normal((2, 2, 4))
    np.testing.assert_allclose(mha(Tensor(changed), is_causal=True)[0].data[:, :3], out.data[:, :3], rtol=1e-12)
    # An explicit boolean mask (True = not allowed) is the same thing.
    np.testing.assert_allclose(mha(Tensor(x), attn_mask=causal_mask(5))[0].data, out.data, rtol=1e-12)


def test_key_padding_and_float_masks():
    rng = np.random.default_rng(2)
    mha = MultiheadAttention(4, 1, dtype=np.float64, rng=rng)
    x = rng.standard_normal((2, 4, 4))
    padding = np.array([[False, False, True, True], [False, False, False, False]])
    out, weights = mha(Tensor(x), key_padding_mask=padding)
    np.testing.assert_array_equal(weights.data[0][:, 2:], 0)
    # Padded keys may hold anything: the output of the first sequence is the attention over its first 2 tokens.
    short, _ = mha(Tensor(x[:1, :2]), Tensor(x[:1]), Tensor(x[:1]), key_padding_mask=padding[:1])
    np.testing.assert_allclose(short.data, out.data[:1, :2], rtol=1e-12)


def test_float_mask_is_added_to_the_scores():
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((3, 2)), rng.standard_normal((4, 2)), rng.standard_normal((4, 5))
    mask = rng.standard_normal((3, 4))
    out, w = attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=mask)
    s = q @ k.T / math.sqrt(2) + mask
    expected = np.exp(s - s.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(w.data, expected, rtol=1e-12)
    np.testing.assert_allclose(out.data, expected @ v, rtol=1e-12)
    # PyTorch's functional reads a boolean mask the other way round (True = take part).
    allowed = rng.random((3, 4)) > 0.3
    allowed[:, 0] = True
    np.testing.assert_allclose(scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=allowed).data,
                               attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=~allowed)[0].data, rtol=1e-12)


def test_a_fully_masked_query_gets_zero_weights_and_finite_gradients():
    rng = np.random.default_rng(4)
    mha = MultiheadAttention(4, 2, dtype=np.float64, rng=rng)
    _randomise_biases(mha, rng)
    x = Tensor(rng.standard_normal((1, 3, 4)), requires_grad=True)
    mask = np.array([[True, True, True], [False, True, True], [False, False, False]])  # query 0 sees nothing
    out, weights = mha(x, attn_mask=mask)
    np.testing.assert_array_equal(weights.data[0, 0], 0)
    np.testing.assert_allclose(out.data[0, 0], mha.out_proj.bias.data, rtol=1e-12)  # zero vector through Ω_c, β_c
    out.sum().backward()
    assert np.isfinite(x.grad.data).all()
    assert_grads(lambda x: mha(x, attn_mask=mask)[0], x.data)
    # The same through a float mask of -inf.
    out_f, _ = mha(Tensor(x.data), attn_mask=np.where(mask, -np.inf, 0.0))
    np.testing.assert_allclose(out_f.data, out.data, rtol=1e-12)


def test_attention_gradients():
    rng = np.random.default_rng(5)
    mha = MultiheadAttention(4, 2, rng=rng)
    x, mem = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    assert_module_grads(mha, x, mem, mem)
    assert_grads(lambda q, k, v: attention(q, k, v, is_causal=True)[0], rng.standard_normal((2, 3, 2)),
                 rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 4)), order=2)


def test_parameter_names_and_layouts_are_pytorchs():
    mha = MultiheadAttention(8, 2)
    assert {k: v.shape for k, v in mha.state_dict().items()} == {
        "in_proj_weight": (24, 8), "in_proj_bias": (24,), "out_proj.weight": (8, 8), "out_proj.bias": (8,)}
    separate = MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert {k: v.shape for k, v in separate.state_dict().items()} == {
        "q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5), "out_proj.weight": (8, 8)}
    layer = TransformerEncoderLayer(8, 2, 16)
    assert [k for k in layer.state_dict()] == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
        "norm2.weight", "norm2.bias"]
    d, ff = 8, 16
    assert layer.num_parameters() == 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    with pytest.raises(ValueError, match="dividing"):
        MultiheadAttention(8, 3)
    with pytest.raises(ShapeError, match="features"):
        mha(Tensor(np.ones((2, 3, 5))))
    with pytest.raises(ShapeError, match="attn_mask"):
        mha(Tensor(np.ones((2, 3, 8))), attn_mask=np.zeros((2, 2), dtype=bool))


def test_batch_first_false_takes_sequence_first_inputs():
    rng = np.random.default_rng(6)
    a = MultiheadAttention(4, 2, batch_first=True, dtype=np.float64, rng=0)
    b = MultiheadAttention(4, 2, batch_first=False, dtype=np.float64, rng=0)
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(b(Tensor(x.transpose(1, 0, 2)))[0].data.transpose(1, 0, 2), a(Tensor(x))[0].data,
                               rtol=1e-12)


# ---- transformer layers -------------------------------------------------------------------------------


def _layer_norm(x, w, b, eps=1e-5):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


def _mlp(layer, x):
    return np.maximum(x @ layer.linear1.weight.data.T + layer.linear1.bias.data, 0) @ layer.linear2.weight.data.T \
        + layer.linear2.bias.data


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_is_eq_12_13_post_ln_or_pre_ln(norm_first):
    rng = np.random.default_rng(7)
    layer = TransformerEncoderLayer(6, 3, 10, dropout=0.0, norm_first=norm_first, dtype=np.float64, rng=rng)
    _randomise_biases(layer, rng)
    x = rng.standard_normal((5, 6))
    n1 = (layer.norm1.weight.data, layer.norm1.bias.data)
    n2 = (layer.norm2.weight.data, layer.norm2.bias.data)

    def mhsa(h):
        return column_mhsa(h.T, h.T, book_weights(layer.self_attn), 3).T

    if norm_first:
        h = x + mhsa(_layer_norm(x, *n1))
        expected = h + _mlp(layer, _layer_norm(h, *n2))
    else:  # eq. 12.13: X <- LN[X + MhSa[X]]; x_n <- LN[x_n + mlp[x_n]]
        h = _layer_norm(x + mhsa(x), *n1)
        expected = _layer_norm(h + _mlp(layer, h), *n2)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)


def test_decoder_layer_is_causal_and_attends_to_the_memory():
    rng = np.random.default_rng(8)
    layer = TransformerDecoderLayer(4, 2, 8, dropout=0.0, dtype=np.float64, rng=rng)
    tgt, memory = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 6, 4))
    out = layer(Tensor(tgt), Tensor(memory), tgt_is_causal=True).data
    future = tgt.copy()
    future[:, 3:] += 1.0
    np.testing.assert_allclose(layer(Tensor(future), Tensor(memory), tgt_is_causal=True).data[:, :3], out[:, :3],
                               rtol=1e-12)
    assert not np.allclose(layer(Tensor(tgt), Tensor(memory + 1.0), tgt_is_causal=True).data, out)
    # Post-LN decoder by hand: self-attention, cross-attention, MLP, each with residual + LayerNorm.
    norms = [(n.weight.data, n.bias.data) for n in (layer.norm1, layer.norm2, layer.norm3)]
    t, m = tgt[0], memory[0]
    h = _layer_norm(t + column_mhsa(t.T, t.T, book_weights(layer.self_attn), 2, causal=True).T, *norms[0])
    h = _layer_norm(h + column_mhsa(h.T, m.T, book_weights(layer.multihead_attn), 2).T, *norms[1])
    np.testing.assert_allclose(out[0], _layer_norm(h + _mlp(layer, h), *norms[2]), rtol=1e-10, atol=1e-12)


def test_transformer_layer_gradients_and_stacks():
    rng = np.random.default_rng(9)
    enc = TransformerEncoderLayer(4, 2, 6, dropout=0.0, rng=rng)
    assert_module_grads(enc, rng.standard_normal((2, 3, 4)))
    dec = TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True, activation="gelu", rng=rng)
    assert_module_grads(dec, rng.standard_normal((1, 3, 4)), rng.standard_normal((1, 2, 4)))
    stack = TransformerEncoder(enc, 3)
    assert len(stack.layers) == 3 and stack.num_parameters() == 3 * enc.num_parameters()
    assert stack.layers[0].linear1.weight is not stack.layers[1].linear1.weight  # independent copies
    assert TransformerDecoder(dec, 2)(np.ones((1, 3, 4)), np.ones((1, 2, 4))).shape == (1, 3, 4)


def test_dropout_is_active_only_in_training_mode():
    layer = TransformerEncoderLayer(4, 2, 8, dropout=0.5, rng=0)
    x = Tensor(np.random.default_rng(10).standard_normal((2, 3, 4)))
    assert not np.allclose(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


# ---- position encodings -------------------------------------------------------------------------------


def test_sinusoidal_encoding_of_fig_12_5():
    pe = sinusoidal_position_encoding(50, 8)
    n, i = 7, 2
    assert pe[n, 2 * i] == pytest.approx(math.sin(n / 10000 ** (2 * i / 8)), rel=1e-6)
    assert pe[n, 2 * i + 1] == pytest.approx(math.cos(n / 10000 ** (2 * i / 8)), rel=1e-6)
    assert sinusoidal_position_encoding(4, 5).shape == (4, 5)  # odd D: the last column is a sine
    x = np.zeros((2, 6, 8), dtype=np.float32)
    out = SinusoidalPositionalEncoding(8, max_len=50)(Tensor(x))
    np.testing.assert_allclose(out.data[1], pe[:6], rtol=1e-6)
    assert SinusoidalPositionalEncoding(8).state_dict() == {}  # recomputed, not saved


def test_learned_encoding_adds_a_trained_row_per_position():
    layer = LearnedPositionalEncoding(10, 4, rng=0)
    x = Tensor(np.ones((2, 3, 4)))
    np.testing.assert_allclose(layer(x).data, np.broadcast_to(1 + layer.weight.data[:3], (2, 3, 4)), rtol=1e-6)
    assert_module_grads(layer, np.ones((2, 3, 4)))
    with pytest.raises(ShapeError, match="max_len"):
        layer(Tensor(np.ones((11, 4))))
