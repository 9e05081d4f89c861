"""ScalarMLP has the module API: parameters, zero_grad, and a state dict that an nn model loads.

Oracles: a numpy forward pass of eq. 4.15 in rows (relu(X Ω_kᵀ + β_k)) written out here from the
state dict's arrays, the Values' own numbers read one by one, and the tensor engine's gradients
of the same network (an independent engine: it shares only the derivative table).
"""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl.nn.module import StateDictError
from tinygrad_udl.zoo import DeepNetwork, ScalarMLP

SIZES = (3, [5, 4, 2])


def numpy_forward(state, x):
    keys = sorted({k.split(".")[0] for k in state}, key=int)
    h = np.asarray(x, dtype=np.float64)
    for i, k in enumerate(keys):
        h = h @ state[f"{k}.weight"].T + state[f"{k}.bias"]
        if i < len(keys) - 1:
            h = np.maximum(h, 0.0)
    return h


def test_the_state_dict_holds_the_values_numbers_under_pytorch_sequential_names():
    model = ScalarMLP(*SIZES, seed=2)
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [state[k].shape for k in state] == [(5, 3), (5,), (4, 5), (4,), (2, 4), (2,)]
    assert all(a.dtype == np.float64 for a in state.values())
    for k, layer in enumerate(model.layers):
        for i, row in enumerate(layer.omega):
            for j, w in enumerate(row):
                assert state[f"{2 * k}.weight"][i, j] == w.data
        assert state[f"{2 * k}.bias"].tolist() == [b.data for b in layer.beta]
    x = [0.3, -1.2, 0.7]
    assert [v.data for v in model(x)] == pytest.approx(numpy_forward(state, x).tolist(), rel=1e-12)


def test_round_trip_between_two_scalar_models():
    source, target = ScalarMLP(*SIZES, seed=0), ScalarMLP(*SIZES, seed=1)
    x = [0.5, 0.1, -0.4]
    assert [v.data for v in source(x)] != [v.data for v in target(x)]
    params_before = target.parameters()
    assert target.load_state_dict(source.state_dict()) == ([], [])
    assert target.parameters() == params_before  # the same Value objects: an optimizer keeps working
    for key, array in source.state_dict().items():
        assert np.array_equal(target.state_dict()[key], array)
    assert [v.data for v in target(x)] == [v.data for v in source(x)]


def test_an_nn_model_of_the_same_sizes_loads_it_and_computes_the_same_function_and_gradients():
    scalar = ScalarMLP(*SIZES, seed=3)
    net = DeepNetwork(3, SIZES[1][:-1], SIZES[1][-1], dtype=np.float64)
    net.load_state_dict(scalar.state_dict())
    X = np.random.default_rng(0).standard_normal((6, 3))

    outputs = [scalar(list(x)) for x in X]
    loss_scalar = sum(o * o for out in outputs for o in out)
    loss_scalar.backward()
    out = net(tg.Tensor(X))
    (out * out).sum().backward()

    assert np.allclose([[o.data for o in row] for row in outputs], out.numpy(), rtol=1e-12, atol=1e-14)
    grads = dict(net.named_parameters())
    for k, layer in enumerate(scalar.layers):
        omega_grad = np.array([[w.grad for w in row] for row in layer.omega])
        assert np.allclose(omega_grad, grads[f"{2 * k}.weight"].grad.numpy(), rtol=1e-10, atol=1e-12)
        assert np.allclose([b.grad for b in layer.beta], grads[f"{2 * k}.bias"].grad.numpy(), rtol=1e-10, atol=1e-12)


def test_weights_come_back_from_an_nn_model_in_float32():
    net = DeepNetwork(3, [5, 4], 2, rng=7)  # float32 by default
    scalar = ScalarMLP(*SIZES)
    scalar.load_state_dict(net.state_dict())
    x = np.array([0.2, -0.9, 1.1])
    expected = numpy_forward({k: v.astype(np.float64) for k, v in net.state_dict().items()}, x)
    assert [v.data for v in scalar(list(x))] == pytest.approx(expected.tolist(), rel=1e-12)
    assert np.allclose(expected, net(tg.Tensor(x[None].astype(np.float32))).numpy()[0], rtol=1e-5)


def test_a_state_dict_that_does_not_fit_loads_nothing():
    model = ScalarMLP(*SIZES, seed=0)
    before = model.state_dict()
    wrong = dict(before)
    wrong["2.weight"] = np.zeros((5, 4))
    with pytest.raises(StateDictError, match=r"'2.weight': shape \(5, 4\) in the state dict, \(4, 5\)"):
        model.load_state_dict(wrong)
    partial = {"0.bias": np.ones(5)}
    with pytest.raises(StateDictError, match="missing keys: 0.weight, 2.bias"):
        model.load_state_dict({**partial, "9.weight": np.ones(1)})
    for key in before:
        assert np.array_equal(model.state_dict()[key], before[key])
    assert model.load_state_dict(partial, strict=False) == (["0.weight", "2.bias", "2.weight", "4.bias", "4.weight"], [])
    assert model.state_dict()["0.bias"].tolist() == [1.0] * 5


def test_parameters_zero_grad_and_the_count():
    model = ScalarMLP(2, [16, 16, 1])
    assert model.num_parameters() == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1  # micrograd's demo: 337
    assert len(dict(model.named_parameters())) == model.num_parameters()
    model([0.5, -0.5]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert repr(model) == "ScalarMLP(2 -> 16 -> 16 -> 1)  # 337 parameters"
