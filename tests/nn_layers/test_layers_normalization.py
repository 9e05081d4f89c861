"""Batch, layer, group and instance normalisation (§11.4, fig. 11.14) against numpy references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.nn.activation import ReLU
from tinygrad_udl.nn.linear import Linear
from tinygrad_udl.nn.module import Module, Sequential
from tinygrad_udl.nn.normalization import (BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
                                           LayerNorm, batch_norm, calibrate_batchnorm, group_norm, instance_norm,
                                           layer_norm)

from nn_layers_testing import assert_grads, assert_module_grads


def reference_normalize(x, axes, eps, eps_mode, mean=None, var=None):
    """(x - m)/sqrt(var + eps) (PyTorch, P11.5) or (x - m)/(s + eps) (eq. 11.8), biased statistics."""
    mean = x.mean(axis=axes, keepdims=True) if mean is None else mean
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True) if var is None else var
    scale = np.sqrt(var + eps) if eps_mode == "torch" else np.sqrt(var) + eps
    return (x - mean) / scale


shapes = st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 4, 3)])


# ---- batch norm ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("eps_mode", ["torch", "book"])
@settings(max_examples=15)
@given(shape=shapes, eps=st.sampled_from([1e-5, 0.1, 0.0]), seed=st.integers(0, 1000))
def test_batch_norm_training_matches_eqs_11_7_to_11_9(eps_mode, shape, eps, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 2
    gamma, delta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    layer = (BatchNorm1d if len(shape) < 4 else BatchNorm2d)(shape[1], eps=eps, eps_mode=eps_mode, dtype=np.float64)
    layer.weight.data[...], layer.bias.data[...] = gamma, delta
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, -1) + (1,) * (len(shape) - 2)
    expected = gamma.reshape(bshape) * reference_normalize(x, axes, eps, eps_mode) + delta.reshape(bshape)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)


def test_eps_modes_differ_except_at_zero():
    x = Tensor(np.random.default_rng(0).standard_normal((8, 3)))
    torch_mode = batch_norm(x, training=True, eps=0.1).data
    book_mode = batch_norm(x, training=True, eps=0.1, eps_mode="book").data
    assert np.abs(torch_mode - book_mode).max() > 1e-3
    np.testing.assert_allclose(batch_norm(x, training=True, eps=0.0).data,
                               batch_norm(x, training=True, eps=0.0, eps_mode="book").data, rtol=1e-12)


def test_batch_norm_backward_is_p11_5s_closed_form():
    # dL/dz_i = (gamma/s)[g_i - mean(g) - xhat_i mean(g xhat)], s = sqrt(var + eps) (standard, P11.5).
    rng = np.random.default_rng(1)
    z, g, gamma, eps = rng.standard_normal((6, 2)), rng.standard_normal((6, 2)), rng.standard_normal(2), 1e-3
    zt = Tensor(z, requires_grad=True)
    (batch_norm(zt, weight=Tensor(gamma), training=True, eps=eps) * Tensor(g)).sum().backward()
    s = np.sqrt(z.var(axis=0) + eps)
    xhat = (z - z.mean(axis=0)) / s
    expected = gamma / s * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    np.testing.assert_allclose(zt.grad.data, expected, rtol=1e-10)


@pytest.mark.parametrize("eps_mode", ["torch", "book"])
def test_batch_norm_gradients_in_both_modes(eps_mode):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2, 3))
    gamma, delta = rng.standard_normal(2), rng.standard_normal(2)
    assert_grads(lambda x, w, b: batch_norm(x, weight=w, bias=b, training=True, eps=0.01, eps_mode=eps_mode),
                 x, gamma, delta, order=2)
    rm, rv = rng.standard_normal(2), rng.uniform(0.5, 2, 2)
    assert_grads(lambda x, w, b: batch_norm(x, rm, rv, w, b, training=False, eps=0.01, eps_mode=eps_mode),
                 x, gamma, delta)


def test_running_statistics_follow_pytorchs_update():
    rng = np.random.default_rng(3)
    layer = BatchNorm2d(3, momentum=0.2, dtype=np.float64)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 2)) * 2 + 1
        layer(Tensor(x))
        mean = 0.8 * mean + 0.2 * x.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * x.var(axis=(0, 2, 3), ddof=1)  # unbiased, as PyTorch
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)
    assert int(layer.num_batches_tracked) == 3
    # momentum=None: a cumulative average of the batch statistics.
    cumulative = BatchNorm1d(2, momentum=None, dtype=np.float64)
    batches = [rng.standard_normal((5, 2)) for _ in range(4)]
    for b in batches:
        cumulative(Tensor(b))
    np.testing.assert_allclose(cumulative.running_mean, np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-12)


@pytest.mark.parametrize("eps_mode", ["torch", "book"])
def test_eval_mode_uses_the_running_statistics(eps_mode):
    rng = np.random.default_rng(4)
    layer = BatchNorm1d(3, eps=0.05, eps_mode=eps_mode, dtype=np.float64)
    layer.running_mean = rng.standard_normal(3)
    layer.running_var = rng.uniform(0.5, 2.0, 3)
    layer.weight.data[...] = rng.standard_normal(3)
    x = rng.standard_normal((5, 3, 4))
    before = layer.running_mean.copy()
    out = layer.eval()(Tensor(x)).data
    expected = reference_normalize(x, None, 0.05, eps_mode, layer.running_mean[None, :, None],
                                   layer.running_var[None, :, None]) * layer.weight.data[None, :, None]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, before)  # eval never updates


def test_track_running_stats_false_always_uses_batch_statistics():
    layer = BatchNorm1d(2, track_running_stats=False, dtype=np.float64).eval()
    x = np.random.default_rng(5).standard_normal((6, 2))
    np.testing.assert_allclose(layer(Tensor(x)).data, reference_normalize(x, (0,), 1e-5, "torch"), rtol=1e-12)
    assert "running_mean" not in layer.state_dict()


def test_batch_norm_names_and_errors():
    layer = BatchNorm2d(4)
    assert {k: v.shape for k, v in layer.state_dict().items()} == {
        "weight": (4,), "bias": (4,), "running_mean": (4,), "running_var": (4,), "num_batches_tracked": ()}
    with pytest.raises(ValueError, match="more than one value"):
        BatchNorm1d(3)(Tensor(np.ones((1, 3))))
    with pytest.raises(ValueError, match="eps_mode"):
        BatchNorm1d(3, eps_mode="keras")
    with pytest.raises(ShapeError, match="axes"):
        BatchNorm2d(3)(Tensor(np.ones((2, 3))))
    with pytest.raises(ShapeError, match="running_mean"):
        batch_norm(Tensor(np.ones((2, 3))), np.zeros(2), np.ones(2))


# ---- calibration: the book's whole-training-set statistics ----------------------------------------------


def _numpy_net(x, layers, stats, eps):
    """Linear -> BN(frozen stats) -> ReLU -> Linear -> BN, in numpy, with the given per-BN (mean, var)."""
    (w1, b1), (w2, b2) = layers
    h = x @ w1.T + b1
    h = np.maximum(reference_normalize(h, None, eps, "torch", *stats[0]), 0)
    g = h @ w2.T + b2
    return h, g


def test_calibration_freezes_whole_training_set_statistics_layer_by_layer():
    rng = np.random.default_rng(6)
    model = Sequential(Linear(3, 4, dtype=np.float64, rng=rng), BatchNorm1d(4, dtype=np.float64), ReLU(),
                       Linear(4, 2, dtype=np.float64, rng=rng), BatchNorm1d(2, dtype=np.float64))
    data = [rng.standard_normal((7, 3)) * 2 + 1 for _ in range(5)]
    calibrate_batchnorm(model, [(b, None) for b in data])  # (x, y) batches, as a DataLoader yields
    assert model.training  # the mode is left alone
    everything = np.concatenate(data)
    layers = [(model[0].weight.data, model[0].bias.data), (model[3].weight.data, model[3].bias.data)]
    first = everything @ layers[0][0].T + layers[0][1]
    np.testing.assert_allclose(model[1].running_mean, first.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(model[1].running_var, first.var(axis=0), rtol=1e-12)  # biased: the book's s^2
    # The second layer's statistics are those of its inputs at test time (first BN frozen).
    _, second = _numpy_net(everything, layers, [(first.mean(axis=0), first.var(axis=0))], 1e-5)
    np.testing.assert_allclose(model[4].running_mean, second.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(model[4].running_var, second.var(axis=0), rtol=1e-10)
    # Hence in eval mode the network's output over the training set is standardised.
    out = model.eval()(Tensor(everything)).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-10)
    # Whole-set statistics do not depend on the batching, even with single-example batches.
    stats = [m.running_var.copy() for m in (model[1], model[4])]
    calibrate_batchnorm(model, list(everything[:, None, :]))
    for m, var in zip((model[1], model[4]), stats):
        np.testing.assert_allclose(m.running_var, var, rtol=1e-10)


def test_calibration_follows_the_order_of_the_forward_pass():
    class Reversed(Module):  # registers bn_late first, but calls it second
        def __init__(self):
            super().__init__()
            self.bn_late = BatchNorm1d(2, dtype=np.float64)
            self.bn_early = BatchNorm1d(2, dtype=np.float64)

        def forward(self, x):
            return self.bn_late(self.bn_early(x) * 3.0 + 1.0)

    model = Reversed()
    data = [np.random.default_rng(i).standard_normal((4, 2)) * 5 for i in range(3)]
    calibrate_batchnorm(model, data)
    everything = np.concatenate(data)
    frozen = reference_normalize(everything, None, 1e-5, "torch", everything.mean(0), everything.var(0)) * 3 + 1
    np.testing.assert_allclose(model.bn_late.running_mean, frozen.mean(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.bn_late.running_var, frozen.var(axis=0), rtol=1e-10)


def test_inexact_calibration_is_one_pass_with_batch_statistics():
    rng = np.random.default_rng(7)
    model = Sequential(Linear(3, 4, dtype=np.float64, rng=rng), BatchNorm1d(4, dtype=np.float64),
                       Linear(4, 2, dtype=np.float64, rng=rng), BatchNorm1d(2, dtype=np.float64))
    data = [rng.standard_normal((6, 3)) for _ in range(3)]
    calibrate_batchnorm(model, iter(data), exact=False)  # one pass: a generator is fine
    inputs = []
    for b in data:
        h = b @ model[0].weight.data.T + model[0].bias.data
        h = reference_normalize(h, (0,), 1e-5, "torch")  # each batch with its own statistics
        inputs.append(h @ model[2].weight.data.T + model[2].bias.data)
    np.testing.assert_allclose(model[3].running_var, np.concatenate(inputs).var(axis=0), rtol=1e-10)
    with pytest.raises(TypeError, match="generator"):
        calibrate_batchnorm(model, iter(data))


def test_calibration_is_exact_for_large_offsets_and_many_batches():
    # Pairwise merging stays exact where a naive E[x^2] - E[x]^2 in float32 would lose every digit.
    rng = np.random.default_rng(8)
    layer = BatchNorm2d(2, dtype=np.float32)
    batches = [(rng.standard_normal((3, 2, 2, 2)) * 0.01 + 1e4).astype(np.float32) for _ in range(20)]
    layer.calibrate(batches)
    everything = np.concatenate(batches).astype(np.float64)
    np.testing.assert_allclose(layer.running_var, everything.var(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(layer.running_mean, everything.mean(axis=(0, 2, 3)), rtol=1e-7)
    with pytest.raises(ValueError, match="no BatchNorm"):
        calibrate_batchnorm(Linear(2, 2), [np.ones((2, 2))])


# ---- layer, group and instance norm ---------------------------------------------------------------------


@settings(max_examples=10)
@given(shape=st.sampled_from([(3, 4), (2, 3, 4), (2, 2, 3, 3)]), trailing=st.integers(1, 2), seed=st.integers(0, 99))
def test_layer_norm_over_trailing_axes(shape, trailing, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    normalized = shape[-trailing:]
    layer = LayerNorm(normalized, dtype=np.float64)
    layer.weight.data[...] = rng.standard_normal(normalized)
    layer.bias.data[...] = rng.standard_normal(normalized)
    axes = tuple(range(len(shape) - trailing, len(shape)))
    expected = reference_normalize(x, axes, 1e-5, "torch") * layer.weight.data + layer.bias.data
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)


def test_group_and_instance_norm_match_fig_11_14():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 6, 3, 2))
    gn = GroupNorm(3, 6, dtype=np.float64)
    gn.weight.data[...] = rng.standard_normal(6)
    grouped = reference_normalize(x.reshape(2, 3, -1), (2,), 1e-5, "torch").reshape(x.shape)
    np.testing.assert_allclose(gn(Tensor(x)).data, grouped * gn.weight.data[None, :, None, None], rtol=1e-10)
    np.testing.assert_allclose(InstanceNorm2d(6)(Tensor(x)).data, reference_normalize(x, (2, 3), 1e-5, "torch"),
                               rtol=1e-10)
    x1 = x[:, :, :, 0]
    np.testing.assert_allclose(InstanceNorm1d(6, affine=True)(Tensor(x1)).data,
                               reference_normalize(x1, (2,), 1e-5, "torch"), rtol=1e-10)
    # GroupNorm with one group is LayerNorm over (C, H, W) (fig. 11.14b vs c).
    np.testing.assert_allclose(group_norm(Tensor(x), 1).data, layer_norm(Tensor(x), (6, 3, 2)).data, rtol=1e-12)


def test_norm_gradients():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 4, 3))
    assert_grads(lambda x, w, b: layer_norm(x, 3, w, b, eps_mode="book"), x, rng.standard_normal(3),
                 rng.standard_normal(3), order=2)
    assert_grads(lambda x, w, b: group_norm(x, 2, w, b), x, rng.standard_normal(4), rng.standard_normal(4))
    assert_grads(lambda x: instance_norm(x), x)
    assert_module_grads(LayerNorm((4, 3)), x)
    assert_module_grads(BatchNorm1d(4), x)
    assert_module_grads(BatchNorm1d(4).eval(), x)


def test_norm_errors():
    with pytest.raises(ShapeError, match="normalized_shape"):
        LayerNorm(5)(Tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match="divide"):
        GroupNorm(4, 6)
    with pytest.raises(ShapeError, match="channels"):
        GroupNorm(2, 6)(Tensor(np.ones((2, 4, 3))))
    with pytest.raises(ShapeError, match="axes"):
        InstanceNorm2d(3)(Tensor(np.ones((2, 3, 4))))
