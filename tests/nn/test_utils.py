"""nn.utils: parameters as one vector (and back), functional_call, and Hessian-vector products over
a model's parameters checked against finite differences of the gradient."""
import numpy as np
import pytest
from support.finite_differences import directional_derivative

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.nn.utils import functional_call, parameters_to_vector, vector_to_parameters, vector_to_tensors


def small_mlp(seed=0):
    """3 -> 4 -> 2 with tanh: smooth, so second derivatives exist everywhere (26 parameters)."""
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 2, dtype=np.float64))
    rng = np.random.default_rng(seed)
    for p in model.parameters():  # biases too (Linear starts them at 0), so that no gradient vanishes by symmetry
        p.data = rng.standard_normal(p.shape)
    return model


def data(seed=1):
    rng = np.random.default_rng(seed)
    return tg.Tensor(rng.standard_normal((6, 3))), tg.Tensor(rng.standard_normal((6, 2)))


# ---- vectors ----------------------------------------------------------------------------------------


def test_parameters_to_vector_concatenates_flattened_parameters_differentiably():
    model = small_mlp()
    params = list(model.parameters())
    vec = parameters_to_vector(params)
    np.testing.assert_array_equal(vec.data, np.concatenate([p.data.ravel() for p in params]))
    w = np.random.default_rng(0).standard_normal(vec.shape)
    (vec * w).sum().backward()
    offset = 0
    for p in params:
        np.testing.assert_array_equal(p.grad.data, w[offset:offset + p.size].reshape(p.shape))
        offset += p.size


def test_vector_to_parameters_round_trip():
    model = small_mlp()
    params = list(model.parameters())
    before = [p.data.copy() for p in params]
    vec = parameters_to_vector(params).data
    vector_to_parameters(2 * vec, params)
    for p, old in zip(params, before):
        np.testing.assert_array_equal(p.data, 2 * old)
        assert p.dtype == old.dtype
    vector_to_parameters(tg.Tensor(vec), model.parameters())
    np.testing.assert_array_equal(parameters_to_vector(params).data, vec)
    tensors = vector_to_tensors(vec, params)
    assert [t.shape for t in tensors] == [p.shape for p in params]
    for t, old in zip(tensors, before):
        np.testing.assert_array_equal(t.data, old)


def test_vector_to_parameters_keeps_each_parameter_dtype_and_owns_its_data():
    p32, p64 = nn.Parameter(np.zeros(2, np.float32)), nn.Parameter(np.zeros((1, 2)))
    vec = np.arange(4.0)
    vector_to_parameters(vec, [p32, p64])
    assert p32.dtype == np.float32 and p64.dtype == np.float64
    vec[:] = -1
    np.testing.assert_array_equal(p32.data, [0, 1])
    np.testing.assert_array_equal(p64.data, [[2, 3]])


def test_vector_to_tensors_is_differentiable():
    params = [nn.Parameter(np.zeros((2, 2))), nn.Parameter(np.zeros(3))]
    vec = tg.Tensor(np.arange(7.0), requires_grad=True)
    a, b = vector_to_tensors(vec, params)
    ((a * 2).sum() + (b ** 2).sum()).backward()
    np.testing.assert_array_equal(vec.grad.data, [2, 2, 2, 2, 8, 10, 12])


def test_vector_length_and_arguments_are_checked():
    params = [nn.Parameter(np.zeros((2, 2))), nn.Parameter(np.zeros(3))]
    with pytest.raises(tg.ShapeError, match=r"the vector has shape \(6,\), but the 2 parameters have 7 numbers"):
        vector_to_parameters(np.zeros(6), params)
    np.testing.assert_array_equal(params[0].data, 0)  # nothing was written
    with pytest.raises(tg.ShapeError, match=r"it must have shape \(7,\)"):
        vector_to_tensors(np.zeros((7, 1)), params)
    with pytest.raises(ValueError, match="no parameters were given"):
        parameters_to_vector([])
    with pytest.raises(TypeError, match="got one Tensor; wrap it in a list"):
        parameters_to_vector(params[0])
    with pytest.raises(TypeError, match="entry 1 is a ndarray, not a Tensor"):
        parameters_to_vector([params[0], np.zeros(2)])


# ---- functional_call --------------------------------------------------------------------------------


def test_functional_call_equals_swapping_the_parameters_by_hand_and_restores_them():
    model = small_mlp()
    x, _ = data()
    originals = dict(model.named_parameters())
    saved = {name: p.data.copy() for name, p in originals.items()}
    rng = np.random.default_rng(5)
    new = {name: tg.Tensor(rng.standard_normal(p.shape)) for name, p in originals.items()}
    out = functional_call(model, new, x)
    for name, p in model.named_parameters():
        assert p is originals[name]  # the module's own Parameters are back
        np.testing.assert_array_equal(p.data, saved[name])
    for name, p in originals.items():  # by hand: overwrite the data, run, put it back
        p.data = new[name].data
    expected = model(x).data
    for name, p in originals.items():
        p.data = saved[name]
    np.testing.assert_array_equal(out.data, expected)


def test_functional_call_gradients_flow_to_the_given_tensors_only():
    model = small_mlp()
    x, y = data()
    new = {name: tg.Tensor(p.data.copy(), requires_grad=True) for name, p in model.named_parameters()}
    ((functional_call(model, new, x) - y) ** 2).sum().backward()
    ((model(x) - y) ** 2).sum().backward()  # the same numbers through the module's own parameters
    for name, p in model.named_parameters():
        np.testing.assert_allclose(new[name].grad.data, p.grad.data, rtol=1e-12)


class Failing(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2, dtype=np.float64)

    def forward(self, x, fail=False):
        out = self.fc(x)
        if fail:
            raise RuntimeError("forward failed")
        return out


def test_functional_call_passes_keyword_arguments_and_restores_on_error():
    model = Failing()
    weight = model.fc.weight
    new = {"fc.weight": tg.Tensor(np.eye(2)), "fc.bias": tg.Tensor(np.ones(2))}
    np.testing.assert_array_equal(functional_call(model, new, np.array([[1.0, 2.0]]), fail=False).data, [[2, 3]])
    with pytest.raises(RuntimeError, match="forward failed"):
        functional_call(model, new, np.array([[1.0, 2.0]]), fail=True)
    assert model.fc.weight is weight and isinstance(model.fc.bias, nn.Parameter)
    with pytest.raises(tg.ShapeError):  # an error inside a layer
        functional_call(model, new, np.zeros((1, 5)))
    assert model.fc.weight is weight


def test_functional_call_replaces_a_tied_parameter_everywhere():
    a, b = nn.Linear(2, 2, bias=False, dtype=np.float64), nn.Linear(2, 2, bias=False, dtype=np.float64)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    assert [n for n, _ in model.named_parameters()] == ["0.weight"]
    w = np.array([[2.0, 0.0], [0.0, 3.0]])
    out = functional_call(model, {"0.weight": tg.Tensor(w)}, np.ones((1, 2)))
    np.testing.assert_array_equal(out.data, [[4.0, 9.0]])  # W applied twice
    assert b.weight is a.weight and isinstance(a.weight, nn.Parameter)


def test_functional_call_with_buffers():
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.BatchNorm1d(3, dtype=np.float64)).eval()
    params = dict(model.named_parameters())
    mean, var = np.array([1.0, 2.0, 3.0]), np.array([4.0, 1.0, 0.25])
    x = np.random.default_rng(0).standard_normal((4, 2))
    out = functional_call(model, {**params, "1.running_mean": mean, "1.running_var": tg.Tensor(var)}, x)
    h = x @ params["0.weight"].data.T + params["0.bias"].data
    expected = (h - mean) / np.sqrt(var + model[1].eps) * params["1.weight"].data + params["1.bias"].data
    np.testing.assert_allclose(out.data, expected)
    np.testing.assert_array_equal(model[1].running_mean, 0)  # the module's own buffers are back
    np.testing.assert_array_equal(model[1].running_var, 1)


def test_functional_call_names_and_shapes_are_checked():
    model = small_mlp()
    params = dict(model.named_parameters())
    missing = {k: v for k, v in params.items() if k != "2.bias"}
    with pytest.raises(nn.StateDictError, match="missing parameters: 2.bias"):
        functional_call(model, missing, np.zeros((1, 3)))
    with pytest.raises(nn.StateDictError, match=r"unexpected names: '2.wieght'.*0.weight, 0.bias, 2.weight, 2.bias"):
        functional_call(model, {**params, "2.wieght": params["2.weight"]}, np.zeros((1, 3)))
    with pytest.raises(nn.StateDictError, match=r"'0.bias' has shape \(3,\), but the module's parameter has shape"):
        functional_call(model, {**params, "0.bias": tg.Tensor(np.zeros(3))}, np.zeros((1, 3)))
    with pytest.raises(TypeError, match="'0.bias' must be a Tensor"):
        functional_call(model, {**params, "0.bias": np.zeros(4)}, np.zeros((1, 3)))
    with pytest.raises(TypeError, match="params must be a dict"):
        functional_call(model, list(params.values()), np.zeros((1, 3)))
    with pytest.raises(TypeError, match="expected a Module"):
        functional_call(lambda x: x, params, np.zeros((1, 3)))
    assert all(p is params[n] for n, p in model.named_parameters())


# ---- Hessian-vector products over parameters ----------------------------------------------------------


def test_hvp_over_the_parameters_of_an_mlp_matches_finite_differences_of_the_gradient():
    model = small_mlp()
    x, y = data()
    names, params = zip(*model.named_parameters())
    theta = parameters_to_vector(params).detach()

    def loss_at(vec):
        out = functional_call(model, dict(zip(names, vector_to_tensors(vec, params))), x)
        return ((out - y) ** 2).mean()

    def gradient_at(vec):  # independent path: write the numbers into the model and call backward()
        vector_to_parameters(vec, params)
        model.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        return np.concatenate([p.grad.data.ravel() for p in params])

    v = np.random.default_rng(3).standard_normal(theta.shape)
    value, hv = tg.hvp(loss_at, theta, v)
    expected = directional_derivative(gradient_at, theta.data, v)
    vector_to_parameters(theta, params)
    np.testing.assert_allclose(value.item(), ((model(x) - y) ** 2).mean().item())
    np.testing.assert_allclose(hv.data, expected, rtol=1e-6, atol=1e-8)
    hessian = tg.hessian(loss_at)(theta)
    assert hessian.shape == (theta.size, theta.size)
    np.testing.assert_allclose(hessian.data, hessian.data.T, atol=1e-12)
    np.testing.assert_allclose(hessian.data @ v, hv.data, rtol=1e-10, atol=1e-12)
    for p, original in zip(params, vector_to_tensors(theta, params)):
        np.testing.assert_array_equal(p.data, original.data)  # hvp and hessian left the model as it was
