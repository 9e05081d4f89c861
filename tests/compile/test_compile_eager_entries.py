"""The steps of the zoo entries that used to train eagerly compile, and their replays read every
batch: masked-token cross-entropy (`cross_entropy(ignore_index=)`, bert-markov, bert-classify), the
Bernoulli likelihood (vae-digits) and the piecewise-linear flow's bins (flow-linear-elementwise),
plus the other losses and log-probabilities that pick values by the targets.

Each step is trained compiled and eagerly on the same batches and must agree bit for bit (the
results of every step, parameters, buffers), with no fallback to eager mode. The first batch is
given twice, so the two traced calls see the same data: a mask, label or bin computed in numpy from
the data would then be the same constant in both traces, the program would replay, and every later
batch (whose masks and bins differ) would be scored with the first one's -- the comparison catches
that. (tests/compile/test_compile_zoo.py trains the entries themselves both ways.)
"""
import warnings

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn, optim
from tinygrad_udl.compile import CompileWarning, compile
from tinygrad_udl.distributions import Bernoulli, Categorical
from tinygrad_udl.nn import functional as F
from tinygrad_udl.zoo.generative.flows.density import negative_log_likelihood
from tinygrad_udl.zoo.generative.flows.elementwise import LinearElementwiseFlow, PiecewiseLinearFlow
from tinygrad_udl.zoo.generative.vae.model import MLPVAE
from tinygrad_udl.zoo.generative.vae.training import _training_step
from tinygrad_udl.zoo.transformers.bert import IGNORE, MaskedLanguageModel, SequenceClassifier, mask_tokens
from tinygrad_udl.zoo.transformers.data import masked_token_cross_entropy

STEPS = 6   # the first batch twice (both traces), then new batches, replayed


def _batches(make_batch, seed=0):
    """The first batch twice, then STEPS - 2 others, each made by `make_batch(rng)`."""
    rng = np.random.default_rng(seed)
    first = make_batch(rng)
    return [first, first] + [make_batch(rng) for _ in range(STEPS - 2)]


def _trainer(build, make_optimizer, loss_of):
    """`make()` for `_run`: a fresh model `build()` and the step that takes one optimizer step
    (`make_optimizer(parameters)`) on `loss_of(model, *batch)` and returns the loss as a float."""
    def make():
        model = build()
        optimizer = make_optimizer(model.parameters())

        def step(*batch):
            loss = loss_of(model, *batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item()
        return model, step
    return make


def _run(make, batches, compiled):
    """A fresh (model, step) from `make()` run on `batches`: the step's results, the model's
    parameters and buffers, and the function called (a `Compiled` one when `compiled`)."""
    model, step = make()
    fn = compile(step) if compiled else step
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)   # a fallback to eager mode fails the test
        results = [fn(*batch) for batch in batches]
    return results, {k: np.array(v) for k, v in model.state_dict().items()}, fn


def _assert_compiles_exactly(make, batches):
    compiled, state, fn = _run(make, batches, compiled=True)
    eager, eager_state, _ = _run(make, batches, compiled=False)
    assert "replay" in fn.stats().values(), fn.stats()
    np.testing.assert_equal(compiled, eager)            # results of every step, bit for bit
    assert state.keys() == eager_state.keys()
    for k in state:
        assert state[k].tobytes() == eager_state[k].tobytes(), k


def _adam(parameters):
    return optim.Adam(parameters, lr=0.01)


# ---- losses whose labels, weights or targets come from the data ---------------------------------------

BATCH, LENGTH, CLASSES = 5, 7, 4
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


def _token_batch(rng, targets):
    """Features (B, T, 3) and targets: class labels (B, T) ("labels"), the same with about a third
    IGNORE ("ignore": a different mask and count in every batch), or counts (B, T, K) ("counts")."""
    x = rng.standard_normal((BATCH, LENGTH, 3)).astype(np.float32)
    if targets == "counts":
        return x, rng.poisson(2.0, (BATCH, LENGTH, CLASSES))
    y = rng.integers(0, CLASSES, (BATCH, LENGTH))
    return x, (np.where(rng.random((BATCH, LENGTH)) < 0.35, IGNORE, y) if targets == "ignore" else y)


LOSSES = {   # name: (loss of logits (B, T, K) and targets, the targets of `_token_batch`)
    "ignore_index mean": (lambda f, y: F.cross_entropy(f, y, axis=-1, ignore_index=IGNORE), "ignore"),
    "ignore_index and class weights": (lambda f, y: F.cross_entropy(f, y, axis=-1, ignore_index=IGNORE,
                                                                    weight=CLASS_WEIGHT), "ignore"),
    "ignore_index sum": (lambda f, y: F.cross_entropy(f, y, axis=-1, ignore_index=IGNORE, reduction="sum"), "ignore"),
    "class weights": (lambda f, y: F.cross_entropy(f, y, axis=-1, weight=CLASS_WEIGHT), "labels"),
    "label smoothing": (lambda f, y: F.cross_entropy(f, y, axis=-1, label_smoothing=0.2), "labels"),
    "book label smoothing": (lambda f, y: F.cross_entropy(f, y, axis=-1, label_smoothing=0.3, smoothing="book"),
                             "labels"),
    "nll_loss ignore_index": (lambda f, y: F.nll_loss(f.log_softmax(-1), y, axis=-1, ignore_index=IGNORE), "ignore"),
    "poisson with log y!": (lambda f, y: F.poisson_nll_loss(f, y, full=True), "counts"),
}


def _linear_on(loss_fn, make_optimizer=_adam):
    return _trainer(lambda: nn.Linear(3, CLASSES, rng=0), make_optimizer,
                    lambda model, x, y: loss_fn(model(tg.Tensor(x)), y))


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_picking_by_the_targets_compile(name):
    loss_fn, targets = LOSSES[name]
    _assert_compiles_exactly(_linear_on(loss_fn), _batches(lambda rng: _token_batch(rng, targets)))


def test_a_batch_with_every_target_ignored_gives_nan_in_a_replay_too():
    # the mean over no kept example is nan (as PyTorch), not an error: a replay cannot check the data
    make = _linear_on(LOSSES["ignore_index mean"][0], lambda parameters: optim.SGD(parameters, lr=0.1))
    batches = _batches(lambda rng: _token_batch(rng, "ignore"))
    batches[-1] = (batches[-1][0], np.full_like(batches[-1][1], IGNORE))
    with np.errstate(invalid="ignore"):   # 0 * inf in the mean
        _assert_compiles_exactly(make, batches)
        losses = _run(make, batches, compiled=True)[0]
    assert np.isnan(losses[-1]) and np.isfinite(losses[:-1]).all()


def _masked_tokens(vocab, rows, length, rate):
    return lambda rng: mask_tokens(rng.integers(0, vocab, (rows, length)), rate, rng, mask_token=vocab)


def _masked_loss(model, x, y):
    return masked_token_cross_entropy(model(x), y)


def test_masked_language_model_compiles():
    """bert-markov's step: a masked language model on the masked-token loss, new masks every batch."""
    make = _trainer(lambda: MaskedLanguageModel(6, 8, d_model=8, nhead=2, num_layers=1, dim_feedforward=16, rng=0),
                    _adam, _masked_loss)
    _assert_compiles_exactly(make, _batches(_masked_tokens(6, 4, 8, 0.3)))


def test_pretraining_of_the_classifier_compiles():
    """bert-classify's pre-training: the encoder of a `SequenceClassifier` on the masked-token loss."""
    make = _trainer(lambda: SequenceClassifier(4, 6, d_model=8, nhead=2, num_layers=1, dim_feedforward=16,
                                               rng=1).encoder,
                    lambda parameters: optim.SGD(parameters, lr=0.1, momentum=0.9), _masked_loss)
    _assert_compiles_exactly(make, _batches(_masked_tokens(4, 3, 6, 0.4), seed=1))


# ---- discrete log-probabilities: which outcome each value picks --------------------------------------


def _features(rng):
    return rng.standard_normal((6, 3)).astype(np.float32)


LOG_PROBS = {   # name: (the distribution of a linear model's outputs (6, 5), a batch (features, values))
    "Bernoulli from logits": (lambda f: Bernoulli(logits=f),
                              lambda rng: (_features(rng), (rng.random((6, 5)) < 0.5).astype(np.float32))),
    "Bernoulli from probs": (lambda f: Bernoulli(probs=f.sigmoid()),
                             lambda rng: (_features(rng), (rng.random((6, 5)) < 0.5).astype(np.float32))),
    "Bernoulli, integer values": (lambda f: Bernoulli(logits=f),
                                  lambda rng: (_features(rng), rng.integers(0, 2, (6, 5)))),
    "Categorical": (lambda f: Categorical(logits=f), lambda rng: (_features(rng), rng.integers(0, 5, 6))),
    "Categorical broadcast": (lambda f: Categorical(logits=f),
                              lambda rng: (_features(rng), rng.integers(0, 5, (2, 6)))),
}


@pytest.mark.parametrize("name", list(LOG_PROBS))
def test_discrete_log_probabilities_compile(name):
    distribution, batch = LOG_PROBS[name]
    make = _trainer(lambda: nn.Linear(3, 5, rng=1), lambda parameters: optim.SGD(parameters, lr=0.1),
                    lambda model, x, value: -distribution(model(tg.Tensor(x))).log_prob(value).mean())
    _assert_compiles_exactly(make, _batches(batch))


def test_bernoulli_vae_compiles():
    """vae-digits' step (`vae.training._training_step`): new binary pixels and new noise every batch."""
    noise = {}

    def make():
        model = MLPVAE(16, latent_dim=2, hidden=(5,), rng=0)
        noise["rng"] = np.random.default_rng(7)
        vae_step = _training_step(model, _adam(model.parameters()), noise["rng"], compile=False)

        def step(x, kl_weight):
            return vae_step(x, kl_weight).item()
        return model, step

    batches = _batches(lambda rng: ((rng.random((8, 16)) < 0.4).astype(np.float32), np.asarray(1.0, np.float32)))
    _assert_compiles_exactly(make, batches)
    eager_noise = noise["rng"].bit_generator.state
    _run(make, batches, compiled=True)
    assert noise["rng"].bit_generator.state == eager_noise   # the same draws, eager or compiled


# ---- the piecewise-linear flow's bins ----------------------------------------------------------------


def test_piecewise_linear_flow_trains_compiled():
    """flow-linear-elementwise's step: every batch puts its points in other bins."""
    make = _trainer(lambda: LinearElementwiseFlow(2, layers=2, bins=4, rng=0),
                    lambda parameters: optim.Adam(parameters, lr=0.05),
                    lambda model, x: negative_log_likelihood(model(tg.Tensor(x))))
    _assert_compiles_exactly(make, _batches(lambda rng: (2 * rng.standard_normal((16, 2)).astype(np.float32),)))


@pytest.mark.parametrize("method", ["forward", "inverse", "log_abs_det_jacobian"])
def test_piecewise_linear_bins_are_found_at_every_replay(method):
    def make():
        flow = PiecewiseLinearFlow(3, bins=5)
        flow.weights.data[...] = np.random.default_rng(2).standard_normal((3, 5))

        def apply(h):
            return getattr(flow, method)(tg.Tensor(h)).numpy().copy()
        return flow, apply

    _assert_compiles_exactly(make, _batches(lambda rng: (rng.random((10, 3)).astype(np.float32),)))
