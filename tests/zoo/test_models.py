"""Zoo models: parameter counts against the book, output shapes, forward passes against numpy
references, PyTorch-compatible parameter names, and gradient checks of tiny instances.

Oracles: the book's printed parameter counts (with the corrections of docs/conventions.md, "Misprints"), the counting
formulas of sections 3.4 and 4.4 written out here, numpy re-implementations of the forward passes
(eq. 4.15; eq. 10.4 with stride and valid padding; eqs. 11.4 and 11.7-11.9), and central finite
differences (tinygrad_udl.gradcheck, float64).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.zoo.supervised.deep import DeepNetwork
from tinygrad_udl.zoo.supervised.heads import BinaryClassifier, GaussianRegression, MulticlassClassifier
from tinygrad_udl.zoo.supervised.linear_regression import LinearRegression
from tinygrad_udl.zoo.supervised.mnist1d_cnn import MNIST1DCNN, MNIST1DFullyConnected
from tinygrad_udl.zoo.supervised.mnist1d_mlp import MNIST1DMLP
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.supervised.entries import entries as supervised_entries
from tinygrad_udl.zoo.supervised.resnet import ResidualBlock1d, ResNet1D
from tinygrad_udl.zoo.supervised.shallow import ShallowNetwork
from tinygrad_udl.zoo.supervised.unet import UNet1d

# ---- parameter counts printed in the book ---------------------------------------------------------------


@pytest.mark.parametrize("model, book", [
    (lambda: LinearRegression(), 2),                              # eq. 2.4: φ_0, φ_1
    (lambda: ShallowNetwork(1, 3, 1), 10),                        # eq. 3.1
    (lambda: ShallowNetwork(3, 3, 2), 20),                        # fig. 3.11
    (lambda: ShallowNetwork(100, 500, 1), 51_001),                # fig. 3.9
    (lambda: DeepNetwork(1, [10] * 5, 1), 471),                   # fig. 4.7a
    (lambda: DeepNetwork(10, [50] * 5, 1), 10_801),               # fig. 4.7b
    (lambda: MNIST1DMLP(), 15_210),                               # section 8.1
    (lambda: MNIST1DCNN(), 2_050),                                # fig. 10.7
    (lambda: MNIST1DFullyConnected(), 59_065),                    # fig. 10.8b (draft's 150,185 is a misprint)
], ids=["eq2.4", "eq3.1", "fig3.11", "fig3.9", "fig4.7a", "fig4.7b", "sec8.1", "fig10.7", "fig10.8b"])
def test_parameter_counts_match_the_book(model, book):
    assert model().num_parameters() == book


@given(d_in=st.integers(1, 6), widths=st.lists(st.integers(1, 7), min_size=1, max_size=4), d_out=st.integers(1, 5))
def test_deep_network_count_is_the_section_4_4_formula(d_in, widths, d_out):
    sizes = [d_in, *widths, d_out]
    formula = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))  # Σ (D_k + 1) D_{k+1}
    assert DeepNetwork(d_in, widths, d_out).num_parameters() == formula


def test_cnn_hidden_sizes_are_those_of_fig_10_7():
    model = MNIST1DCNN()
    x = Tensor(np.zeros((2, 40), np.float32))
    sizes = []
    for layer in list(model)[:6:2]:  # the three convolutions
        x = layer(x if x.ndim == 3 else x.reshape(2, 1, 40)).relu()
        sizes.append(x.shape[1:])
    assert sizes == [(15, 19), (15, 9), (15, 4)]
    assert MNIST1DFullyConnected().widths == [285, 135, 60]


# ---- every registry entry: shapes and gradient checks ----------------------------------------------------

OUTPUT_SHAPES = {  # per example, for the full models
    "linear-regression": (1,), "shallow": (1,), "deep": (1,), "gaussian-regression": (2,), "binary-classifier": (),
    "multiclass-classifier": (3,), "unet1d": (1, 64),
}
# The chapter 2-11 entries (the other parts test their own entries beside their models)
ENTRIES = [registry()[entry.name] for entry in supervised_entries()]


def test_registry_covers_chapters_2_to_11():
    names = set(registry())
    for entry in registry().values():   # every part's entries: a book location, a line, a source
        assert entry.section and entry.description and entry.source, entry.name
    assert {"linear-regression", "shallow", "deep", "gaussian-regression", "binary-classifier",
            "multiclass-classifier", "mnist1d-mlp", "mnist1d-l2", "mnist1d-dropout", "mnist1d-augment",
            "mnist1d-ensemble", "mnist1d-early-stopping", "mnist1d-cnn", "mnist1d-fc", "resnet1d", "unet1d"} <= names
    for entry in ENTRIES:
        assert entry.section and entry.description and entry.source
        assert entry.factory.__doc__ and ("eq" in entry.factory.__doc__ or "section" in entry.factory.__doc__
                                          or "fig" in entry.factory.__doc__), entry.name


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_output_shape_and_loss(entry):
    model = entry.build(rng=0)
    x, y = entry.example_inputs(n=4)
    model.eval()
    out = model(x)
    assert out.shape == (4, *OUTPUT_SHAPES.get(entry.name, (10,)))
    loss = entry.task.loss_fn(out, y)
    assert loss.size == 1 and np.isfinite(loss.item())


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_gradient_check_of_the_tiny_model(entry):
    model = entry.build(rng=1, tiny=True)
    model.eval() if entry.name == "mnist1d-dropout" else model.train()  # dropout masks would change per call
    x, y = entry.example_inputs(n=3)
    report = check_module(model, [x], loss_fn=lambda out: entry.task.loss_fn(out, y))
    assert report.ok, str(report)


def test_seeds_make_models_reproducible():
    for entry in ENTRIES:
        a, b, c = entry.build(rng=3), entry.build(rng=3), entry.build(rng=4)
        sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
        assert all(np.array_equal(sa[k], sb[k]) for k in sa), entry.name
        assert any(not np.array_equal(sa[k], sc[k]) for k in sa), entry.name


# ---- forward passes against numpy --------------------------------------------------------------------


def _mlp_numpy(state, prefixes, x):
    h = x.astype(np.float64)
    for k, p in enumerate(prefixes):
        h = h @ state[f"{p}.weight"].T.astype(np.float64) + state[f"{p}.bias"]
        if k < len(prefixes) - 1:
            h = np.maximum(h, 0.0)
    return h


def test_mlp_forward_is_eq_4_15():
    model = MNIST1DMLP(rng=2)
    x = np.random.default_rng(0).normal(size=(5, 40)).astype(np.float32)
    np.testing.assert_allclose(model(Tensor(x)).data, _mlp_numpy(model.state_dict(), ["0", "2", "4"], x),
                               rtol=1e-4, atol=1e-5)


def _conv1d_valid(x, w, b, stride):
    """z[n, o, i] = β_o + Σ_c Σ_k ω[o, c, k] x[n, c, S·i + k] (eq. 10.4, valid padding)."""
    n, _, length = x.shape
    k = w.shape[2]
    out_len = (length - k) // stride + 1
    z = np.empty((n, w.shape[0], out_len))
    for i in range(out_len):
        patch = x[:, :, stride * i: stride * i + k]  # (n, c, k)
        z[:, :, i] = np.einsum("nck,ock->no", patch, w) + b
    return z


def test_cnn_forward_is_eq_10_4_with_stride_2_valid():
    model = MNIST1DCNN(rng=3)
    s = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    x = np.random.default_rng(1).normal(size=(4, 40)).astype(np.float32)
    h = x[:, None, :].astype(np.float64)
    for p in ("0", "2", "4"):
        h = np.maximum(_conv1d_valid(h, s[f"{p}.weight"], s[f"{p}.bias"], 2), 0.0)
    expected = h.reshape(4, -1) @ s["7.weight"].T + s["7.bias"]
    np.testing.assert_allclose(model(Tensor(x)).data, expected, rtol=1e-4, atol=1e-5)


def _conv1d_same(x, w, b=None):
    k = w.shape[2]
    padded = np.pad(x, ((0, 0), (0, 0), (k // 2, k // 2)))
    return _conv1d_valid(padded, w, 0.0 if b is None else b, 1)


def _batch_norm_train(h, gamma, delta, eps=1e-5):
    """Eqs. 11.7-11.9 per channel over (N, L), biased variance, ε inside the root (PyTorch, P11.5)."""
    m = h.mean(axis=(0, 2), keepdims=True)
    v = h.var(axis=(0, 2), keepdims=True)
    return gamma[None, :, None] * (h - m) / np.sqrt(v + eps) + delta[None, :, None]


def test_residual_block_is_eq_11_4_with_pre_activation():
    block = ResidualBlock1d(4, rng=5, dtype=np.float64)
    block.train()
    s = block.state_dict()
    h = np.random.default_rng(2).normal(size=(6, 4, 11))
    f = _conv1d_same(np.maximum(_batch_norm_train(h, s["bn1.weight"], s["bn1.bias"]), 0), s["conv1.weight"])
    f = _conv1d_same(np.maximum(_batch_norm_train(f, s["bn2.weight"], s["bn2.bias"]), 0), s["conv2.weight"],
                     s["conv2.bias"])
    np.testing.assert_allclose(block(Tensor(h)).data, h + f, rtol=1e-10, atol=1e-10)


def test_heads_predict_the_mode_and_the_variance():
    out = Tensor(np.array([[1.5, -2.0], [0.0, 0.5]]))
    np.testing.assert_allclose(GaussianRegression.predict(out).data, [[1.5], [0.0]])
    np.testing.assert_allclose(GaussianRegression.variance(out).data, [[4.0], [0.25]])  # σ² = f_2² (eq. 5.15)
    np.testing.assert_array_equal(BinaryClassifier.predict(Tensor(np.array([0.3, -0.1]))), [1, 0])
    np.testing.assert_array_equal(MulticlassClassifier.predict(np.array([[0.1, 2.0, 0.3]])), [1])
    # the variance head starts at σ = 1 for every x: a finite, smooth initial NLL
    model = GaussianRegression(rng=0)
    x = Tensor(np.linspace(-1, 1, 7).reshape(-1, 1).astype(np.float32))
    np.testing.assert_array_equal(GaussianRegression.variance(model(x)).data, np.ones((7, 1)))


def test_gaussian_nll_is_the_normal_log_density():
    out = Tensor(np.array([[0.5, 2.0], [-1.0, 0.5]]))
    y = np.array([[1.0], [0.0]])
    mu, var = np.array([0.5, -1.0]), np.array([4.0, 0.25])
    expected = np.mean(0.5 * np.log(2 * np.pi * var) + (y.ravel() - mu) ** 2 / (2 * var))  # eq. 5.7
    assert GaussianRegression.nll(out, y).item() == pytest.approx(expected)


def test_unet_keeps_length_and_checks_it():
    model = UNet1d(channels=(2, 3, 4), rng=0)
    assert model(Tensor(np.zeros((2, 1, 16), np.float32))).shape == (2, 1, 16)
    with pytest.raises(ValueError, match="divisible by 4"):
        model(Tensor(np.zeros((2, 1, 18), np.float32)))


def test_resnet_accepts_flat_or_channel_inputs():
    model = ResNet1D(channels=3, blocks=1, rng=0).eval()
    x = np.random.default_rng(0).normal(size=(2, 40)).astype(np.float32)
    np.testing.assert_array_equal(model(Tensor(x)).data, model(Tensor(x[:, None])).data)


# ---- PyTorch: same names, same shapes, same outputs ---------------------------------------------------------


def _torch_models(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.bn1, self.conv1 = nn.BatchNorm1d(c), nn.Conv1d(c, c, 3, padding=1, bias=False)
            self.bn2, self.conv2 = nn.BatchNorm1d(c), nn.Conv1d(c, c, 3, padding=1)

        def forward(self, h):
            return h + self.conv2(torch.relu(self.bn2(self.conv1(torch.relu(self.bn1(h))))))

    class ResNet(nn.Module):
        def __init__(self, c, blocks):
            super().__init__()
            self.stem = nn.Conv1d(1, c, 3, padding=1)
            self.blocks = nn.Sequential(*[Block(c) for _ in range(blocks)])
            self.bn, self.head = nn.BatchNorm1d(c), nn.Linear(c, 10)

        def forward(self, x):
            return self.head(torch.relu(self.bn(self.blocks(self.stem(x)))).mean(dim=2))

    def double(a, b):
        return nn.Sequential(nn.Conv1d(a, b, 3, padding=1), nn.ReLU(), nn.Conv1d(b, b, 3, padding=1), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoders = nn.ModuleList([double(1, 2), double(2, 3)])
            self.bottleneck = double(3, 4)
            self.upsamplers = nn.ModuleList([nn.ConvTranspose1d(3, 2, 2, stride=2),
                                             nn.ConvTranspose1d(4, 3, 2, stride=2)])
            self.decoders = nn.ModuleList([double(4, 2), double(6, 3)])
            self.head = nn.Conv1d(2, 1, 1)

        def forward(self, x):
            skips = []
            for enc in self.encoders:
                x = enc(x)
                skips.append(x)
                x = nn.functional.max_pool1d(x, 2)
            x = self.bottleneck(x)
            for k in (1, 0):
                x = self.decoders[k](torch.cat([skips[k], self.upsamplers[k](x)], dim=1))
            return self.head(x)

    mlp = nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))
    cnn = nn.Sequential(nn.Conv1d(1, 15, 3, stride=2), nn.ReLU(), nn.Conv1d(15, 15, 3, stride=2), nn.ReLU(),
                        nn.Conv1d(15, 15, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(60, 10))
    return [(MNIST1DMLP(rng=0), mlp, (5, 40)),
            (MNIST1DCNN(rng=0), cnn, (5, 1, 40)),
            (ResNet1D(channels=4, blocks=2, rng=0), ResNet(4, 2), (5, 1, 40)),
            (UNet1d(channels=(2, 3, 4), rng=0), UNet(), (5, 1, 16))]


def test_state_dicts_load_into_the_equivalent_pytorch_models():
    torch = pytest.importorskip("torch")  # installed with the 'bench' extra
    for ours, theirs, shape in _torch_models(torch):
        state = ours.state_dict()
        theirs.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}, strict=True)
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        for mode in ("train", "eval"):
            getattr(ours, mode)()
            getattr(theirs, mode)()
            with torch.no_grad():
                expected = theirs(torch.from_numpy(x)).numpy()
            np.testing.assert_allclose(ours(Tensor(x)).data, expected, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{type(ours).__name__} ({mode} mode)")


def test_the_zoo_is_split_by_the_books_parts_and_old_import_paths_still_work():
    import importlib

    from tinygrad_udl import zoo
    registry_module = importlib.import_module("tinygrad_udl.zoo.registry")
    for name in ("toy", "mnist1d_cnn", "resnet"):
        old = importlib.import_module(f"tinygrad_udl.zoo.{name}")
        assert old is importlib.import_module(f"tinygrad_udl.zoo.supervised.{name}")
    assert registry_module.PARTS[0] == "supervised"
    assert [e.name for e in zoo.registry().values()][:2] == ["linear-regression", "shallow"]
