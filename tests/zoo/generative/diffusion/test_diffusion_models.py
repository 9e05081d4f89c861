"""The denoising networks and the diffusion model: parameter counts against formulas written here,
gradient checks of tiny instances (central finite differences in float64), the loss of Algorithm
18.1 and the sampler of Algorithm 18.2 against the algorithms written out with the same draws."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.nn.module import Module
from tinygrad_udl.zoo.generative.diffusion.denoisers import DenoisingMLP, DenoisingUNet
from tinygrad_udl.zoo.generative.diffusion.entries import (SCHEDULE_1D, SCHEDULE_LINEAR, density_2d_model,
                                                           digits_model, entries, mixture_1d_model)
from tinygrad_udl.zoo.generative.diffusion.model import DiffusionModel
from tinygrad_udl.zoo.generative.diffusion.schedule import NoiseSchedule


def mlp_count(d, h, k, e):
    """Input layer, K-1 hidden layers, the time embedding's layer, K bias-free time offsets, output."""
    return (d + 1) * h + (k - 1) * (h + 1) * h + (e + 1) * h + k * h * h + (h + 1) * d


def residual_count(a, b, f):
    """Two 3x3 convolutions, the time offset (Linear F -> b), a 1x1 shortcut when a != b."""
    return 9 * a * b + b + 9 * b * b + b + (f + 1) * b + ((a + 1) * b if a != b else 0)


def unet_count(c, c1, c2, f, e):
    return ((e + 1) * f + (9 * c + 1) * c1 + residual_count(c1, c1, f) + (9 * c1 + 1) * c2
            + residual_count(c2, c2, f) + 4 * c2 * c2 + 4 * c2 + (4 * c2 + 1) * c1 + residual_count(2 * c1, c1, f)
            + (9 * c1 + 1) * c)


@settings(max_examples=20)
@given(st.integers(1, 5), st.integers(1, 12), st.integers(1, 4), st.sampled_from([2, 4, 8]))
def test_mlp_parameter_count(d, h, k, e):
    assert DenoisingMLP(d, h, k, e, steps=10).num_parameters() == mlp_count(d, h, k, e)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 2), st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.sampled_from([2, 4]))
def test_unet_parameter_count(c, c1, c2, f, e):
    model = DenoisingUNet(c, (c1, 2 * c2), f, e, heads=2, steps=10)
    assert model.num_parameters() == unet_count(c, c1, 2 * c2, f, e)


def test_the_default_models_have_the_documented_counts():
    assert mixture_1d_model().num_parameters() == mlp_count(1, 64, 3, 16) == 21_889
    assert density_2d_model().num_parameters() == mlp_count(2, 128, 3, 32) == 87_042
    assert digits_model().num_parameters() == unet_count(1, 16, 32, 32, 16) == 44_497
    assert DenoisingMLP(64, 256, 3, 32, steps=200).num_parameters() == mlp_count(64, 256, 3, 32) == 369_728


def test_the_unet_keeps_the_image_shape_and_refuses_odd_sizes():
    model = DenoisingUNet(1, (4, 8), 6, 4, heads=2, steps=20)
    z = Tensor(np.random.default_rng(0).normal(size=(3, 1, 8, 8)).astype(np.float32))
    assert model(z, np.array([1, 7, 20])).shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match="even"):
        model(Tensor(np.zeros((1, 1, 7, 8))), 1)


@pytest.mark.parametrize("make", [
    lambda: DenoisingMLP(2, 3, 2, 4, steps=10, rng=1),
    lambda: DenoisingUNet(1, (1, 2), 2, 2, heads=1, steps=10, rng=1),
], ids=["mlp", "unet"])
def test_gradient_check_of_tiny_denoisers(make):
    model = make()
    gen = np.random.default_rng(2)
    for layer in _zero_started(model):          # they start at zero; perturb them so the check sees live paths
        layer.weight.data[...] = gen.normal(size=layer.weight.shape) * 0.3
    shape = (3, 2) if isinstance(model, DenoisingMLP) else (2, 1, 2, 2)
    z = np.random.default_rng(0).normal(size=shape)
    t = np.arange(1, shape[0] + 1) * 3
    report = check_module(model, [z, t])
    assert report.ok, str(report)


def _zero_started(model):
    if isinstance(model, DenoisingMLP):
        return list(model.time_offsets)
    return [model.down.time_offset, model.middle.time_offset, model.up.time_offset, model.head]


def test_time_offsets_start_at_zero_so_the_untrained_network_ignores_t():
    model = DenoisingMLP(3, 8, 2, 4, steps=50, rng=0)
    z = Tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    np.testing.assert_array_equal(model(z, 1).data, model(z, 50).data)
    unet = DenoisingUNet(1, (2, 4), 3, 4, heads=2, steps=50, rng=0)
    assert not unet(Tensor(np.ones((2, 1, 4, 4), np.float32)), 7).data.any()     # the head starts at zero


def test_one_shared_step_and_one_step_per_example_agree():
    model = DenoisingMLP(2, 8, 2, 4, steps=20, rng=0)
    for layer in model.time_offsets:
        layer.weight.data[...] = np.random.default_rng(1).normal(size=layer.weight.shape)
    z = Tensor(np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32))
    np.testing.assert_allclose(model(z, 13).data, model(z, np.full(5, 13)).data, rtol=1e-6)


def test_the_mlp_is_the_formula_of_its_docstring():
    model = DenoisingMLP(2, 5, 2, 4, steps=9, rng=3)
    for layer in model.time_offsets:
        layer.weight.data[...] = np.random.default_rng(4).normal(size=layer.weight.shape)
    z = np.random.default_rng(1).normal(size=(3, 2))
    t = np.array([1, 4, 9])
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    positions = np.arange(10)[:, None]
    frequency = 10000.0 ** (-np.arange(0, 4, 2) / 4)
    table = np.zeros((10, 4))
    table[:, 0::2], table[:, 1::2] = np.sin(positions * frequency), np.cos(positions * frequency)   # fig. 12.5
    pre = table[t] @ state["time.layer.weight"].T + state["time.layer.bias"]
    tau = pre / (1 + np.exp(-pre))                                                                 # SiLU
    h = np.maximum(z @ state["input.weight"].T + state["input.bias"] + tau @ state["time_offsets.0.weight"].T, 0)
    h = np.maximum(h @ state["hidden.0.weight"].T + state["hidden.0.bias"] + tau @ state["time_offsets.1.weight"].T, 0)
    expected = h @ state["output.weight"].T + state["output.bias"]
    np.testing.assert_allclose(model(Tensor(z.astype(np.float32)), t).data, expected, rtol=1e-4, atol=1e-5)


def test_bad_time_steps_are_refused():
    model = DenoisingMLP(1, 4, 1, 4, steps=10)
    with pytest.raises(ValueError, match="1..10"):
        model(Tensor(np.zeros((2, 1))), np.array([0, 3]))
    with pytest.raises(ValueError, match="one per example"):
        model(Tensor(np.zeros((2, 1))), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"\(N, 1\)"):
        model(Tensor(np.zeros((2, 3))), 1)


# ---- Algorithms 18.1 and 18.2 -------------------------------------------------------------------------


class Scaled(Module):
    """A stand-in denoiser g_t[z] = c_t z with fixed numbers (no parameters are needed by the sampler)."""

    def __init__(self, steps):
        super().__init__()
        from tinygrad_udl.nn.module import Parameter
        self.scale = Parameter(np.linspace(0.1, 0.9, steps + 1))

    def forward(self, z, t):
        c = Tensor(np.asarray(self.scale.data)[np.broadcast_to(t, (z.shape[0],))])
        return z * c.reshape(-1, *([1] * (z.ndim - 1)))


def test_the_loss_is_algorithm_18_1():
    schedule = NoiseSchedule.linear(30, 0.01, 0.2)
    model = DiffusionModel(DenoisingMLP(2, 6, 2, 4, steps=30, rng=0), schedule, (2,))
    x = np.random.default_rng(0).normal(size=(16, 2))
    loss = model.loss(x, np.random.default_rng(7)).item()
    gen = np.random.default_rng(7)                        # the same draws, in the order of Algorithm 18.1
    t = gen.integers(1, 31, size=16)
    noise = gen.standard_normal((16, 2))
    alpha = np.cumprod(1 - schedule.betas)[t - 1][:, None]
    z = np.sqrt(alpha) * x + np.sqrt(1 - alpha) * noise
    expected = np.mean((model.predict_noise(z, t) - noise) ** 2)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_calling_the_model_is_the_loss_with_a_fixed_noise_stream():
    model = DiffusionModel(DenoisingMLP(2, 6, 2, 4, steps=30, rng=0), NoiseSchedule.linear(30, 0.01, 0.2), (2,))
    x = np.random.default_rng(0).normal(size=(8, 2))
    terms = model(x)
    assert terms.shape == (8,)
    np.testing.assert_array_equal(terms.data, model(x).data)                       # deterministic
    assert terms.mean().item() == pytest.approx(model.loss(x, np.random.default_rng(model.noise_seed)).item())


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e.name)
def test_gradient_check_of_each_entrys_tiny_model(entry):
    # what `tinygrad-udl gradcheck --model NAME` runs: the tiny model on a few training examples
    model = entry.build(rng=1, tiny=True)
    x, y = entry.example_inputs(n=3)
    report = check_module(model, [x], loss_fn=lambda out: entry.task.loss_fn(out, y))
    assert report.ok, str(report)


@pytest.mark.parametrize("sigma", ["beta", "posterior"])
def test_sampling_is_algorithm_18_2(sigma):
    schedule = NoiseSchedule.linear(8, 0.05, 0.3)
    model = DiffusionModel(Scaled(8), schedule, (1, 2, 2), sigma=sigma)
    samples, path = model.sample(5, 11, return_path=True)
    gen = np.random.default_rng(11)
    z = gen.standard_normal((5, 1, 2, 2))
    scale = np.linspace(0.1, 0.9, 9)
    alphas = np.concatenate([[1.0], np.cumprod(1 - schedule.betas)])
    for t in range(8, 0, -1):
        beta = schedule.betas[t - 1]
        z = z / np.sqrt(1 - beta) - beta / (np.sqrt(1 - alphas[t]) * np.sqrt(1 - beta)) * scale[t] * z   # eq. 18.35
        if t > 1:
            variance = beta if sigma == "beta" else beta * (1 - alphas[t - 1]) / (1 - alphas[t])
            z = z + np.sqrt(variance) * gen.standard_normal(z.shape)
        np.testing.assert_allclose(path[t - 1], z, rtol=1e-5)
    np.testing.assert_allclose(samples, z, rtol=1e-5)
    assert path.shape == (9, 5, 1, 2, 2)


def test_the_model_refuses_bad_input():
    with pytest.raises(TypeError, match="NoiseSchedule"):
        DiffusionModel(Scaled(3), [0.1, 0.2], (1,))
    with pytest.raises(ValueError, match="sigma"):
        DiffusionModel(Scaled(3), NoiseSchedule.constant(3, 0.1), (1,), sigma="fixed")
    model = DiffusionModel(Scaled(3), NoiseSchedule.constant(3, 0.1), (2,))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        model.predict_noise(np.zeros((4, 3)), 1)


def test_the_entries_use_the_books_encoder_for_the_1d_mixture():
    assert SCHEDULE_1D.steps == 100 and np.all(SCHEDULE_1D.betas == 0.03)      # fig. 18.2
    assert SCHEDULE_LINEAR.alphas[-1] < 0.01                                  # z_T is nearly N(0, I)
    names = [e.name for e in entries()]
    assert names == ["diffusion-1d", "diffusion-ring", "diffusion-moons", "diffusion-digits"]
    for entry in entries():
        assert "18" in entry.section and entry.factory.__doc__ and "section" in entry.factory.__doc__
        assert entry.build(tiny=True).num_parameters() < 1_000
