"""The chapter-12 models: parameter counts against formulas written out here, causality of the
decoders, permutation equivariance of self-attention without positions, PyTorch's parameter
names, gradient checks of tiny instances (central differences in float64), and the decoding
helpers against the forward pass they stand for."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.zoo.transformers import (GPT, EncoderDecoderTransformer, MaskedLanguageModel, SequenceClassifier,
                                           VisionTransformer1d)
from tinygrad_udl.zoo.transformers.seq2seq import teacher_forcing

F64 = np.float64


# ---- parameter counts ------------------------------------------------------------------------------------


def attention_count(d):
    return (3 * d * d + 3 * d) + (d * d + d)           # in_proj (Ω_q, Ω_k, Ω_v stacked, β's), out_proj Ω_c, β_c


def mlp_count(d, f):
    return (f * d + f) + (d * f + d)                    # linear1, linear2


def encoder_layer_count(d, f):
    return attention_count(d) + mlp_count(d, f) + 2 * (2 * d)          # two LayerNorms (γ, β)


def decoder_layer_count(d, f):
    return 2 * attention_count(d) + mlp_count(d, f) + 3 * (2 * d)      # + cross-attention, a third norm


dims = st.fixed_dictionaries({"d_model": st.sampled_from([4, 8, 12]), "dim_feedforward": st.integers(1, 20),
                              "num_layers": st.integers(1, 3)})


@settings(max_examples=15)
@given(dims=dims, vocab=st.integers(2, 30), context=st.integers(1, 20))
def test_gpt_parameter_count(dims, vocab, context):
    d, f, k = dims["d_model"], dims["dim_feedforward"], dims["num_layers"]
    expected = vocab * d + context * d + k * encoder_layer_count(d, f) + (d * vocab + vocab)
    assert GPT(vocab, context, nhead=2, **dims).num_parameters() == expected


@settings(max_examples=15)
@given(dims=dims, vocab=st.integers(2, 30), length=st.integers(1, 20))
def test_bert_parameter_counts(dims, vocab, length):
    d, f, k = dims["d_model"], dims["dim_feedforward"], dims["num_layers"]
    # |V| tokens + <mask> + <cls>; the <cls> position too
    mlm = (vocab + 2) * d + (length + 1) * d + k * encoder_layer_count(d, f) + (d * vocab + vocab)
    assert MaskedLanguageModel(vocab, length, nhead=2, **dims).num_parameters() == mlm
    assert SequenceClassifier(vocab, length, nhead=2, **dims).num_parameters() == mlm + d + 1


@settings(max_examples=15)
@given(dims=dims, vocab=st.integers(2, 12), length=st.integers(1, 10))
def test_encoder_decoder_parameter_count(dims, vocab, length):
    d, f, k = dims["d_model"], dims["dim_feedforward"], dims["num_layers"]
    expected = ((vocab + 1) * d + length * d                        # one embedding for both sides (+ <start>)
                + k * encoder_layer_count(d, f) + k * decoder_layer_count(d, f) + (d * vocab + vocab))
    assert EncoderDecoderTransformer(vocab, length, nhead=2, **dims).num_parameters() == expected


@settings(max_examples=15)
@given(dims=dims, patch=st.sampled_from([2, 4, 5, 8]))
def test_vit_parameter_count(dims, patch):
    d, f, k = dims["d_model"], dims["dim_feedforward"], dims["num_layers"]
    patches = 40 // patch
    expected = (patch * d + d) + d + (patches + 1) * d + k * encoder_layer_count(d, f) + (d * 10 + 10)
    assert VisionTransformer1d(patch_size=patch, nhead=2, **dims).num_parameters() == expected


def test_the_zoo_sizes():
    assert GPT(65, 64).num_parameters() == 112_449          # gpt-hamlet: 8,256 + 2 x 49,984 + 4,225
    assert VisionTransformer1d().num_parameters() == 17_962


def test_pytorch_parameter_names():
    names = set(GPT(10, 8, rng=0).state_dict())
    assert {"embedding.token.weight", "embedding.position.weight", "transformer.layers.1.self_attn.in_proj_weight",
            "transformer.layers.0.self_attn.out_proj.bias", "transformer.layers.0.linear1.weight",
            "transformer.layers.0.norm2.bias", "head.weight", "head.bias"} <= names
    seq = set(EncoderDecoderTransformer(5, 4, rng=0).state_dict())
    assert {"encoder.layers.0.self_attn.in_proj_weight", "decoder.layers.1.multihead_attn.in_proj_weight",
            "decoder.layers.0.norm3.weight"} <= seq                # torch.nn.Transformer's names
    assert {"conv_proj.weight", "class_token", "positions.weight"} <= set(VisionTransformer1d(rng=0).state_dict())


def test_layers_are_initialised_independently():
    state = GPT(10, 8, rng=0).state_dict()
    first, second = (state[f"transformer.layers.{i}.self_attn.in_proj_weight"] for i in (0, 1))
    assert not np.array_equal(first, second)   # nn.TransformerEncoder's deep copies would start equal


# ---- masked self-attention: causality (section 12.7.2) ---------------------------------------------------


@settings(max_examples=10)
@given(t=st.integers(0, 6), seed=st.integers(0, 2 ** 16))
def test_gpt_output_at_t_has_zero_gradient_wrt_later_embeddings(t, seed):
    model = GPT(7, 7, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, rng=seed, dtype=F64)
    tokens = np.random.default_rng(seed).integers(0, 7, (2, 7))
    x = Tensor(model.embedding(tokens).data, requires_grad=True)     # the input token embeddings, as a leaf
    logits = model.head(model.transformer(x))
    (logits[:, t] * Tensor(np.random.default_rng(1).normal(size=(2, 7)))).sum().backward()
    assert np.all(x.grad.data[:, t + 1:] == 0.0)                    # exactly: the mask is -inf before softmax
    assert np.all(np.abs(x.grad.data[:, : t + 1]).sum(axis=-1) > 0)  # earlier tokens do matter


@settings(max_examples=10)
@given(t=st.integers(0, 4), seed=st.integers(0, 2 ** 16))
def test_decoder_output_at_t_ignores_later_target_tokens(t, seed):
    model = EncoderDecoderTransformer(6, 5, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, rng=seed,
                                      dtype=F64)
    gen = np.random.default_rng(seed)
    source, decoder_in = gen.integers(0, 6, (3, 5)), gen.integers(0, 7, (3, 5))
    changed = decoder_in.copy()
    changed[:, t + 1:] = gen.integers(0, 7, changed[:, t + 1:].shape)
    before = model(np.stack([source, decoder_in], axis=1)).data
    after = model(np.stack([source, changed], axis=1)).data
    np.testing.assert_array_equal(before[:, : t + 1], after[:, : t + 1])


# ---- self-attention without positions is permutation-equivariant (section 12.3.1, P12.4) -------------------


@settings(max_examples=15)
@given(perm=st.permutations(range(6)), seed=st.integers(0, 2 ** 16))
def test_unmasked_stack_without_positions_is_permutation_equivariant(perm, seed):
    stack = MaskedLanguageModel(5, 6, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, rng=seed,
                                dtype=F64).transformer
    x = np.random.default_rng(seed).normal(size=(2, 6, 8))
    perm = list(perm)
    np.testing.assert_allclose(stack(Tensor(x[:, perm])).data, stack(Tensor(x)).data[:, perm], rtol=1e-10,
                               atol=1e-12)


def test_learned_positions_break_the_symmetry():
    model = MaskedLanguageModel(5, 6, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, rng=0, dtype=F64)
    tokens = np.array([[0, 1, 2, 3, 4, 0]])
    reversed_out = model(tokens[:, ::-1].copy()).data
    assert not np.allclose(reversed_out, model(tokens).data[:, ::-1])


# ---- gradient checks of tiny instances (float64 central differences) ---------------------------------------

TINY = {"d_model": 4, "nhead": 2, "num_layers": 1, "dim_feedforward": 4}


def _ce(out, y):
    return (out.log_softmax(axis=-1) * Tensor(np.eye(out.shape[-1])[y])).sum() * (-1.0 / y.size)


@pytest.mark.parametrize("make, inputs, loss", [
    (lambda: GPT(5, 4, rng=1, **TINY), np.array([[0, 1, 4, 2], [3, 3, 0, 1]]),
     lambda out: _ce(out, np.array([[1, 4, 2, 0], [3, 0, 1, 2]]))),
    (lambda: MaskedLanguageModel(5, 4, rng=1, **TINY), np.array([[0, 5, 4, 2], [3, 3, 5, 1]]),
     lambda out: _ce(out, np.array([[0, 1, 4, 2], [3, 3, 0, 1]]))),
    (lambda: SequenceClassifier(5, 4, rng=1, **TINY), np.array([[0, 1, 4, 2], [3, 3, 0, 1]]),
     lambda out: (out * Tensor(np.array([0.7, -1.3]))).sum()),
    (lambda: EncoderDecoderTransformer(4, 3, rng=1, **TINY),
     teacher_forcing(np.array([[0, 1, 3], [2, 2, 0]]), np.array([[3, 1, 0], [0, 2, 2]]), start_token=4),
     lambda out: _ce(out, np.array([[3, 1, 0], [0, 2, 2]]))),
    (lambda: VisionTransformer1d(patch_size=10, rng=1, **TINY),
     np.random.default_rng(0).normal(size=(2, 40)), lambda out: _ce(out, np.array([3, 7]))),
], ids=["gpt", "bert", "bert-classifier", "encoder-decoder", "vit"])
def test_gradient_check_of_a_tiny_instance(make, inputs, loss):
    model = make()
    x = Tensor(inputs) if inputs.dtype.kind == "f" else inputs
    report = check_module(model, [x], loss_fn=loss)
    assert report.ok, str(report)


# ---- decoding helpers against the forward pass ------------------------------------------------------------


def test_next_log_probs_is_the_last_position_of_the_forward_pass():
    model = GPT(6, 5, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, rng=3)
    prefix = (1, 4, 0, 2, 5, 3, 3)                                      # longer than the context of 5
    expected = log_softmax(model(np.array([prefix[-5:]])).data[0, -1].astype(F64))
    np.testing.assert_allclose(model.next_log_probs(prefix), expected, rtol=1e-6, atol=1e-6)
    batch = model.next_log_probs_batch([prefix, (0,) * 7])
    np.testing.assert_allclose(batch[0], expected, rtol=1e-6, atol=1e-6)
    assert np.allclose(np.exp(batch).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="non-empty"):
        model.next_log_probs(())
    with pytest.raises(ValueError, match="0..5"):
        model.next_log_probs((1, 6))


def test_greedy_decoding_agrees_with_teacher_forcing_on_its_own_output():
    model = EncoderDecoderTransformer(5, 6, d_model=8, nhead=2, num_layers=2, dim_feedforward=8, rng=4)
    source = np.random.default_rng(0).integers(0, 5, (7, 6))
    out = model.greedy(source)
    logits = model(teacher_forcing(source, out, start_token=5)).data
    np.testing.assert_array_equal(logits.argmax(axis=-1), out)


def test_vit_tokens_are_cls_then_linear_maps_of_patches_plus_positions():
    model = VisionTransformer1d(patch_size=8, d_model=6, nhead=2, num_layers=1, dim_feedforward=4, rng=2, dtype=F64)
    model.class_token.data[:] = np.arange(6)
    x = np.random.default_rng(1).normal(size=(3, 40))
    w, b = model.conv_proj.weight.data[:, 0], model.conv_proj.bias.data        # (D, P), (D,)
    patches = x.reshape(3, 5, 8) @ w.T + b                                     # Ω x_patch + β per patch
    expected = np.concatenate([np.broadcast_to(np.arange(6.0), (3, 1, 6)), patches], axis=1)
    expected = expected + model.positions.weight.data
    np.testing.assert_allclose(model.tokens(Tensor(x)).data, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="40"):
        model(Tensor(np.zeros((2, 41))))


def test_attention_weights_are_causal_distributions():
    model = GPT(6, 8, d_model=8, nhead=2, num_layers=2, dim_feedforward=8, rng=0)
    weights = model.attention_weights(np.array([[0, 1, 2, 3, 4, 5, 0, 1]]), layer=1)
    assert weights.shape == (1, 2, 8, 8)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6)
    assert np.all(np.triu(weights[0, 0], k=1) == 0)
    with pytest.raises(ValueError, match="layer"):
        model.attention_weights(np.zeros((1, 8), int), layer=2)


def test_token_ids_are_checked():
    model = GPT(6, 8, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, rng=0)
    with pytest.raises(ValueError, match="longer than the 8 positions"):
        model(np.zeros((1, 9), int))
    with pytest.raises(TypeError, match="integer token ids"):
        model(np.zeros((1, 3)))
