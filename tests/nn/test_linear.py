"""Linear (the book's β + Ωh in row-batch form), Flatten, Identity, Lambda, Embedding."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.gradcheck import check_module, gradcheck
from tinygrad_udl.nn import functional as F

from nn_testing import check_grads


def test_linear_is_the_books_affine_map_on_rows():
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, dtype=np.float64, rng=rng)
    omega, beta = layer.weight.data, layer.bias.data
    h_columns = rng.standard_normal((4, 5))  # the book's layout: one example per column
    book = beta[:, None] + omega @ h_columns  # eq. 4.15
    np.testing.assert_allclose(layer(h_columns.T).data, book.T, rtol=1e-12)


def test_shapes_and_names_match_pytorch():
    layer = nn.Linear(40, 100)
    assert layer.weight.shape == (100, 40) and layer.bias.shape == (100,)
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.num_parameters() == 4_100
    assert nn.Linear(40, 100, bias=False).num_parameters() == 4_000


def test_default_init_is_he_uniform_with_zero_bias():
    layer = nn.Linear(400, 300, rng=0)
    bound = np.sqrt(6 / 400)  # fig. 7.8's kaiming_uniform: variance 2 / fan_in (eq. 7.30)
    w = layer.weight.data.astype(np.float64)
    assert np.all(np.abs(w) <= bound) and np.abs(w).max() > 0.99 * bound
    assert abs(w.var() / (2 / 400) - 1) < 0.03
    np.testing.assert_array_equal(layer.bias.data, 0)


def test_init_is_reproducible_from_the_rng():
    a = nn.Linear(5, 5, rng=np.random.default_rng(7)).weight.data
    b = nn.Linear(5, 5, rng=np.random.default_rng(7)).weight.data
    c = nn.Linear(5, 5, rng=np.random.default_rng(8)).weight.data
    np.testing.assert_array_equal(a, b)
    assert np.any(a != c)
    tg.manual_seed(3)
    d = nn.Linear(5, 5).weight.data
    tg.manual_seed(3)
    np.testing.assert_array_equal(d, nn.Linear(5, 5).weight.data)


def test_dtype_follows_the_default_or_the_argument():
    assert nn.Linear(2, 2).weight.dtype == np.float32
    assert nn.Linear(2, 2, dtype=np.float64).bias.dtype == np.float64


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.booleans(), st.integers(0, 1000))
def test_linear_gradients_match_finite_differences_and_the_books_rules(n, d_in, d_out, batched, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_in) if batched else (d_in,))
    w = rng.standard_normal((d_out, d_in))
    b = rng.standard_normal(d_out)
    gx, gw, gb = check_grads(F.linear, x, w, b, seed=seed)
    # row-batch form of eqs. 7.22-7.24 with upstream G: dΩ = Gᵀ X, dβ = Σ_rows G, dX = G Ω
    g = np.random.default_rng(seed).standard_normal((n, d_out) if batched else (d_out,))
    g2, x2 = np.atleast_2d(g), np.atleast_2d(x)
    np.testing.assert_allclose(gw, g2.T @ x2, rtol=1e-10)
    np.testing.assert_allclose(gb, g2.sum(0), rtol=1e-10)
    np.testing.assert_allclose(gx, (g2 @ w).reshape(x.shape), rtol=1e-10)


def test_linear_with_leading_batch_axes():
    layer = nn.Linear(3, 2, dtype=np.float64, rng=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-12)


def test_linear_is_one_node_with_numpys_dtypes_and_batch_axes_in_its_gradients():
    """x @ W.T + b is one primitive (bias added in place), promoting dtypes as numpy would; the
    weight and bias gradients sum over every leading axis (checked against finite differences)."""
    layer = nn.Linear(3, 2, rng=0)
    out = layer(np.ones((4, 3), np.float32))
    assert out.op == "linear" and out.dtype == np.float32
    w64 = tg.Tensor(np.ones((2, 3), np.float32))
    mixed = F.linear(tg.Tensor(np.ones((4, 3), np.float32)), w64, tg.Tensor(np.ones(2, np.float64)))
    assert mixed.dtype == np.float64
    rng = np.random.default_rng(2)
    check_grads(F.linear, rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4))


def test_wrong_input_width_is_a_clear_error():
    with pytest.raises(tg.ShapeError, match=r"linear: the input has shape \(2, 5\).*in=4"):
        nn.Linear(4, 3)(tg.zeros(2, 5))
    with pytest.raises(ValueError, match="positive integer"):
        nn.Linear(0, 3)


def test_flatten_identity_lambda():
    x = tg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    assert nn.Flatten(1, 1)(x).shape == (2, 3, 4)
    assert nn.Identity()(x) is x
    assert nn.Lambda(lambda t: t.sum())(x).item() == 276.0
    with pytest.raises(TypeError, match="function"):
        nn.Lambda(3)


def test_embedding_looks_up_rows_and_accumulates_repeated_gradients():
    emb = nn.Embedding(5, 3, dtype=np.float64, rng=0)
    idx = np.array([[0, 2], [2, 4]])
    out = emb(idx)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    # equals Ω_e times one-hot columns (section 12.5.2), written in row form
    np.testing.assert_allclose(out.data, np.eye(5)[idx] @ emb.weight.data, rtol=1e-12)
    out.sum().backward()
    counts = np.bincount(idx.ravel(), minlength=5)
    np.testing.assert_array_equal(emb.weight.grad.data, np.repeat(counts[:, None], 3, axis=1))


def test_embedding_init_and_errors():
    w = nn.Embedding(2000, 50, rng=1).weight.data.astype(np.float64)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1), as PyTorch
    with pytest.raises(IndexError, match="0..4"):
        nn.Embedding(5, 2)(np.array([5]))
    with pytest.raises(TypeError, match="integers"):
        nn.Embedding(5, 2)(np.array([1.0]))


# ---- the library's gradient checker ---------------------------------------------------------------------

@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.integers(1, 4), st.integers(0, 1000))
def test_check_module_on_random_mlps(sizes, n, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b, rng=rng), nn.Tanh()]
    model = nn.Sequential(*layers[:-1])
    report = check_module(model, [rng.standard_normal((n, sizes[0]))], order=2)
    assert report.ok, str(report)
    assert model[0].weight.dtype == np.float32  # the check worked on float64 copies


def test_check_module_on_embedding_and_linear_input_gradient():
    emb = nn.Embedding(6, 3, rng=0)
    assert check_module(emb, [np.array([[0, 5, 5], [2, 0, 1]])]).ok
    layer = nn.Linear(3, 2, dtype=np.float64, rng=0)
    assert gradcheck(layer, [tg.Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)]).ok
