"""Short training runs: every chapter-12 model learns past a baseline it must beat, and every zoo
entry runs end to end (tiny model, a few steps) to a table holding its reference rows."""
import dataclasses

import numpy as np
import pytest

from tinygrad_udl.data import load_mnist1d
from tinygrad_udl.nn.loss import binary_cross_entropy_with_logits, cross_entropy
from tinygrad_udl.optim import Adam
from tinygrad_udl.text import MarkovChain, next_token_windows, split_stream
from tinygrad_udl.training import fit
from tinygrad_udl.training.metrics import binary_error
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.runner import run
from tinygrad_udl.zoo.transformers import (GPT, EncoderDecoderTransformer, MaskedLanguageModel, SequenceClassifier,
                                           VisionTransformer1d)
from tinygrad_udl.zoo.transformers.bert import mask_tokens
from tinygrad_udl.zoo.transformers.data import (interior_positions, masked_token_cross_entropy, reversal_examples,
                                                single_masks, token_cross_entropy, token_error)

SMALL = {"d_model": 16, "nhead": 2, "num_layers": 1, "dim_feedforward": 32}


def _train(model, train, test, loss_fn, steps, error_fn=None, batch_size=32, lr=0.01):
    return fit(model, Adam(model.parameters(), lr=lr), train, test=test, loss_fn=loss_fn, error_fn=error_fn,
               steps=steps, batch_size=batch_size, eval_every=10 ** 6, rng=0, progress=False)


def test_gpt_learns_a_markov_language_past_the_unigram_baseline():
    chain = MarkovChain.random(6, 1, rng=0)
    train, test = split_stream(chain.sample(12_000, rng=1), 0.2)
    history = _train(GPT(6, 16, rng=0, **SMALL), next_token_windows(train, 16), next_token_windows(test, 16),
                     token_cross_entropy, steps=150)
    unigram, rate = chain.ngram_cross_entropy(1), chain.entropy_rate()
    assert history.final["test_loss"] < unigram - 0.5 * (unigram - rate)    # half-way from no context to the rate
    assert history.final["test_loss"] > rate - 0.05                           # and no better than the source


def test_masked_language_model_uses_both_neighbours():
    chain = MarkovChain.random(6, 1, rng=2)
    windows = chain.sample(8 * 2000, rng=3).reshape(-1, 8)
    train = mask_tokens(np.tile(windows[:1600], (2, 1)), 0.15, 4, mask_token=6)
    test = single_masks(windows[1600:], interior_positions(400, 8, 1, rng=5), mask_token=6)
    history = _train(MaskedLanguageModel(6, 8, rng=0, **SMALL), train, test, masked_token_cross_entropy, steps=300,
                     batch_size=64)
    assert history.final["test_loss"] < chain.ngram_cross_entropy(1) - 0.2        # well below no context
    assert history.final["test_loss"] > chain.masked_token_entropy() - 0.1


def test_classifier_tells_two_sources_apart():
    a, b = MarkovChain.random(4, 1, rng=5), MarkovChain.random(4, 1, rng=6)
    labels = np.arange(600) % 2
    x = np.stack([(a, b)[y].sample(12, rng=i) for i, y in enumerate(labels)])
    history = _train(SequenceClassifier(4, 12, rng=0, **SMALL), (x[:500], labels[:500]), (x[500:], labels[500:]),
                     binary_cross_entropy_with_logits, steps=150, error_fn=binary_error)
    assert history.final["test_error"] < 25.0                                        # chance: 50 %


def test_encoder_decoder_learns_to_reverse():
    train, test = reversal_examples(3000, 0), reversal_examples(300, 1)
    model = EncoderDecoderTransformer(10, 8, rng=0, **SMALL)
    history = _train(model, train, test, token_cross_entropy, steps=300, error_fn=token_error)
    assert history.final["test_error"] < 30.0                                        # chance: 90 % of tokens
    pairs, targets = test
    assert np.mean(model.greedy(pairs[:, 0]) == targets) > 0.7


def test_vision_transformer_beats_chance_on_mnist1d():
    data = load_mnist1d()
    history = _train(VisionTransformer1d(rng=0, **SMALL), (data.x_train, data.y_train), (data.x_test, data.y_test),
                     cross_entropy, steps=200, error_fn=lambda out, y: float(np.mean(out.data.argmax(1) != y)),
                     batch_size=100, lr=0.003)
    assert history.final["test_error"] < 75.0                                        # chance: 90 %


# ---- every entry end to end, shortened ----------------------------------------------------------------------

ENTRIES = [e for e in registry().values() if e.factory.__module__.startswith("tinygrad_udl.zoo.transformers")]
REFERENCE_ROWS = {   # a row whose `book` column holds the exact reference
    "bert-markov": "test masked-token cross-entropy (nats/token)",
    "bert-classify": "test error (%)",
    "gpt-markov": "test cross-entropy (nats/token)",
    "gpt-hamlet": "reference: bigram baseline",
    "seq2seq-reverse": "exact-sequence accuracy, greedy decoding (%)",
    "vit-mnist1d": "reference: MNIST1DCNN (fig. 10.7) trained the same way: test error (%)",
}


def test_the_part_has_its_entries_in_book_order():
    assert [e.name for e in ENTRIES] == list(REFERENCE_ROWS)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_runs_end_to_end_with_its_references(entry, tmp_path):
    pytest.importorskip("matplotlib")   # --plot: the learning curves, and the attention maps of the decoders
    short = dataclasses.replace(entry, model_kwargs=entry.tiny,
                                hyperparameters={**entry.hyperparameters, "steps": 3, "pretrain_steps": 3})
    result = run(short, seed=1, progress=False, out=tmp_path, plot=True)
    rows = {row["metric"]: row for row in result.rows}
    assert np.isfinite(rows[REFERENCE_ROWS[entry.name]]["book"])
    assert rows["parameters"]["ours"] == entry.build(tiny=True).num_parameters()
    pictures = sorted(p.name for p in tmp_path.glob("*.png"))
    expected = ["attention-layer1.png", "curves.png"] if entry.name.startswith("gpt") else ["curves.png"]
    assert pictures == expected
    assert all((tmp_path / name).read_bytes()[:4] == b"\x89PNG" for name in pictures)
