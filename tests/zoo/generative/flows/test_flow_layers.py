"""Chapter 16's flow layers and models against references computed here, independently.

Oracles: inverse(forward(z)) = z; log |det| against numpy's slogdet of the central-finite-difference
Jacobian in float64 (for the forward map, and minus it for the inverse map); eq. 16.12 written out
in numpy; a linear flow's density is exactly N(β, Ω Ωᵀ) (scipy); eq. 16.22's series against the
exact log-determinant; the learned density integrates to 1 on a grid; parameter counts against
the formulas written below; gradients of tiny models against finite differences (check_module).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.zoo.generative.flows import (MADE, AffineCoupling, FlowSequence, InverseFlow, InvertibleResidual,
                                               LeakyReLUFlow, LinearElementwiseFlow, LULinearFlow,
                                               MaskedAffineAutoregressive, MaskedAutoregressiveFlow,
                                               NormalizingFlow, Permutation, PiecewiseLinearFlow, RealNVP,
                                               ResidualFlow, SigmoidFlow, log_det_power_series,
                                               piecewise_linear_on_reals, spectral_norm)
from tinygrad_udl.zoo.generative.flows.tasks import grid_mass

# name -> (layer factory (dim, rng) in float64, whether its inputs live on [0, 1])
LAYERS = {
    "lu-linear": (lambda d, r: LULinearFlow(d, rng=r, dtype=np.float64), False),
    "leaky-relu": (lambda d, r: LeakyReLUFlow(d, slope=0.3), False),
    "sigmoid": (lambda d, r: SigmoidFlow(d), False),
    "piecewise-linear": (lambda d, r: PiecewiseLinearFlow(d, bins=5, dtype=np.float64), True),
    "piecewise-on-reals": (lambda d, r: piecewise_linear_on_reals(d, bins=4, dtype=np.float64), False),
    "affine-coupling": (lambda d, r: AffineCoupling(d, hidden=(6,), parity=r % 2, rng=r, dtype=np.float64), False),
    "masked-autoregressive": (lambda d, r: MaskedAffineAutoregressive(d, hidden=(7, 5), rng=r, dtype=np.float64),
                              False),
    "invertible-residual": (lambda d, r: InvertibleResidual(d, hidden=(6, 5), rng=r, dtype=np.float64), False),
    "permutation": (lambda d, r: Permutation(d, rng=r), False),
    "inverse-of-coupling": (lambda d, r: InverseFlow(AffineCoupling(d, hidden=(6,), rng=r, dtype=np.float64)), False),
    "sequence": (lambda d, r: FlowSequence([LULinearFlow(d, rng=r, dtype=np.float64), LeakyReLUFlow(d),
                                            AffineCoupling(d, hidden=(4,), rng=r, dtype=np.float64)]), False),
}


def randomise(module, seed, scale=0.5):
    """Random parameters (the zoo's layers start at the identity, where every check is too easy)."""
    gen = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = scale * gen.standard_normal(p.shape)
    return module


def make_layer(name, dim, seed):
    return randomise(LAYERS[name][0](dim, seed), seed + 100)


def finite_difference_jacobian(f, z, eps=1e-6):
    """∂f/∂z of a map R^D -> R^D at z by central differences (float64)."""
    columns = []
    for j in range(len(z)):
        step = np.zeros(len(z))
        step[j] = eps
        columns.append((f(z + step) - f(z - step)) / (2 * eps))
    return np.stack(columns, axis=1)


def point(draw_values, on_unit, dim):
    values = np.array(draw_values[:dim], dtype=np.float64)
    return 0.05 + 0.9 * (np.tanh(values) + 1) / 2 if on_unit else values


# away from 0: the leaky ReLU's kink, and a bin edge of the piecewise-linear map behind a sigmoid
values = st.lists(st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 1e-3), min_size=4, max_size=4)


@pytest.mark.parametrize("name", list(LAYERS))
@settings(max_examples=15)
@given(z_values=values, seed=st.integers(0, 10_000), dim=st.integers(2, 4))
def test_inverse_undoes_forward_and_log_det_is_the_slogdet_of_the_jacobian(name, z_values, seed, dim):
    layer = make_layer(name, dim, seed)
    z = point(z_values, LAYERS[name][1], dim)
    forward = lambda v: layer(Tensor(v[None])).data[0]
    x = forward(z)
    np.testing.assert_allclose(layer.inverse(Tensor(x[None])).data[0], z, atol=1e-8)
    expected = np.linalg.slogdet(finite_difference_jacobian(forward, z))[1]
    np.testing.assert_allclose(layer.log_abs_det_jacobian(Tensor(z[None])).data, [expected], atol=1e-6)
    z_back, log_det = layer.inverse_and_log_det(Tensor(x[None]))
    np.testing.assert_allclose(z_back.data[0], z, atol=1e-8)
    np.testing.assert_allclose(log_det.data, [expected], atol=1e-6)
    # the normalizing direction's Jacobian has the reciprocal determinant (section 16.2.1)
    inverse = lambda v: layer.inverse(Tensor(v[None])).data[0]
    np.testing.assert_allclose(np.linalg.slogdet(finite_difference_jacobian(inverse, x))[1], -expected, atol=1e-5)


def test_piecewise_linear_is_eq_16_12():
    layer = randomise(PiecewiseLinearFlow(2, bins=5, dtype=np.float64), 3)
    h = np.random.default_rng(0).uniform(0, 1, (50, 2))
    h[0] = [0.0, 1.0]                       # both ends of the domain
    phi = np.exp(layer.weights.data) / np.exp(layer.weights.data).sum(1, keepdims=True)
    expected = np.empty_like(h)
    for n, d in np.ndindex(h.shape):
        b = min(int(np.floor(5 * h[n, d])), 4)
        expected[n, d] = phi[d, :b].sum() + (5 * h[n, d] - b) * phi[d, b]
    np.testing.assert_allclose(layer(Tensor(h)).data, expected, atol=1e-12)
    np.testing.assert_allclose(layer.inverse(Tensor(expected)).data, h, atol=1e-12)
    assert np.allclose(layer(Tensor(np.array([[0.0, 1.0]]))).data, [[0.0, 1.0]])   # onto [0, 1]


def test_zero_weights_make_the_piecewise_linear_flow_the_identity():
    h = np.random.default_rng(1).uniform(0, 1, (20, 3))
    np.testing.assert_allclose(PiecewiseLinearFlow(3, bins=7, dtype=np.float64)(Tensor(h)).data, h, atol=1e-12)


def test_made_outputs_depend_on_earlier_inputs_only():
    made = randomise(MADE(4, hidden=(9, 8), outputs_per_dim=2, dtype=np.float64), 5)
    x = np.random.default_rng(2).standard_normal(4)
    jacobian = finite_difference_jacobian(lambda v: made(Tensor(v[None])).data[0], x)   # (8, 4)
    for group in (jacobian[:4], jacobian[4:]):
        assert np.allclose(np.triu(group), 0.0, atol=1e-9)          # output d reads inputs < d only
        assert np.abs(np.tril(group, -1)).sum() > 0                  # ... and does read them


def test_spectral_norm_and_the_contraction():
    gen = np.random.default_rng(0)
    for shape in ((5, 3), (3, 5), (4, 4)):
        w = gen.standard_normal(shape)
        assert np.isclose(spectral_norm(Tensor(w)).item(), np.linalg.norm(w, 2))
    block = randomise(InvertibleResidual(3, hidden=(6, 5), lipschitz=0.7, dtype=np.float64), 1, scale=3.0)
    assert all(np.linalg.norm(w.data, 2) <= 0.7 + 1e-12 for w in block.weights())
    # Lip(g) <= 0.7² on random pairs (eq. 16.20)
    a, b = gen.standard_normal((2, 200, 3))
    g = lambda v: block.residual(Tensor(v)).data
    assert np.all(np.linalg.norm(g(a) - g(b), axis=1) <= 0.49 * np.linalg.norm(a - b, axis=1) + 1e-12)


def test_the_log_det_series_of_eq_16_22_converges_to_the_exact_value():
    gen = np.random.default_rng(3)
    jacobian = gen.standard_normal((6, 3, 3))
    jacobian *= 0.5 / np.abs(np.linalg.eigvals(jacobian)).max(-1)[:, None, None]   # spectral radius 0.5
    exact = np.linalg.slogdet(np.eye(3) + jacobian)[1]
    series = log_det_power_series(Tensor(jacobian), terms=40).data
    np.testing.assert_allclose(series, exact, atol=1e-10)
    assert np.abs(log_det_power_series(Tensor(jacobian), terms=2).data - exact).max() > 1e-3   # truncation shows
    # Hutchinson's estimator (eqs. 16.23-16.24): unbiased, error ~ 1/sqrt(probes)
    estimate = log_det_power_series(Tensor(jacobian), terms=40, probes=20_000, rng=0).data
    np.testing.assert_allclose(estimate, exact, atol=0.05)


def test_a_linear_flow_is_a_gaussian():
    # x = β + Ω z with z ~ N(0, I) is N(β, Ω Ωᵀ) (section 16.3.1)
    layer = randomise(LULinearFlow(3, rng=4, dtype=np.float64), 7)
    flow = NormalizingFlow(layer)
    omega, beta = layer.weight().data, layer.bias.data
    x = np.random.default_rng(5).standard_normal((30, 3))
    np.testing.assert_allclose(flow.log_prob(Tensor(x)).data,
                               multivariate_normal(beta, omega @ omega.T).logpdf(x), atol=1e-10)
    samples = flow.sample(200_000, rng=6).data
    np.testing.assert_allclose(samples.mean(0), beta, atol=0.03)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), omega @ omega.T, atol=0.05)


MODELS = {
    "linear-elementwise": lambda: LinearElementwiseFlow(layers=2, bins=4, rng=0, dtype=np.float64),
    "realnvp": lambda: RealNVP(layers=3, hidden=(8,), rng=0, dtype=np.float64),
    "maf": lambda: MaskedAutoregressiveFlow(layers=3, hidden=(8,), rng=0, dtype=np.float64),
    "iresnet": lambda: ResidualFlow(layers=3, hidden=(8,), rng=0, dtype=np.float64),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_the_learned_density_integrates_to_one(name):
    model = randomise(MODELS[name](), 11, scale=0.3)

    def log_prob(points):
        return model.log_prob(Tensor(points)).data

    assert grid_mass(log_prob, 300, (-9.0, -9.0), (9.0, 9.0)) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name", list(MODELS))
def test_gradient_check_of_a_tiny_model(name):
    model = randomise(MODELS[name](), 12, scale=0.3)
    x = Tensor(np.random.default_rng(0).standard_normal((5, 2)))
    report = check_module(model, [x], loss_fn=lambda log_prob: -log_prob.mean())
    assert report.ok, str(report)


def _mlp_count(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))   # Σ (D_k + 1) D_{k+1}


@given(dim=st.integers(2, 4), layers=st.integers(1, 4), hidden=st.lists(st.integers(1, 9), min_size=1, max_size=2),
       bins=st.integers(1, 6))
@settings(max_examples=20)
def test_parameter_counts_are_the_docstrings_formulas(dim, layers, hidden, bins):
    coupling = _mlp_count([dim, *hidden, 2 * dim])
    assert RealNVP(dim, layers, hidden).num_parameters() == layers * coupling
    assert MaskedAutoregressiveFlow(dim, layers, hidden).num_parameters() == layers * coupling
    assert ResidualFlow(dim, layers, hidden).num_parameters() == layers * _mlp_count([dim, *hidden, dim])
    assert LinearElementwiseFlow(dim, layers, bins).num_parameters() == (layers + 1) * (dim * dim + dim) + layers * dim * bins


def test_default_parameter_counts():
    assert RealNVP().num_parameters() == 27_672
    assert MaskedAutoregressiveFlow().num_parameters() == 23_060
    assert ResidualFlow().num_parameters() == 2_576
    assert LinearElementwiseFlow().num_parameters() == 94


def test_bad_inputs_are_refused_with_clear_errors():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        RealNVP()(Tensor(np.zeros((3, 3), np.float32)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        PiecewiseLinearFlow(2)(Tensor(np.array([[0.5, 1.5]])))
    with pytest.raises(ValueError, match="contraction"):
        InvertibleResidual(2, lipschitz=1.0)
    with pytest.raises(ValueError, match="permutation"):
        Permutation(3, permutation=[0, 0, 1])
    with pytest.raises(ValueError, match="same dimension"):
        FlowSequence([LeakyReLUFlow(2), LeakyReLUFlow(3)])
