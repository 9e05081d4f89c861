"""The data of the chapter-12 experiments, each a `zoo.tasks.Task` from fixed seeds.

- `markov-language`: a synthetic language of 16 letters from an order-2 Markov source whose
  entropy rate and n-gram baselines are known exactly (`text.MarkovChain`; the chain of
  docs/text.md), cut into windows of 32 letters (fig. 12.12).
- `hamlet-chars`: *Hamlet* (shipped with the package) at character level, 65 characters
  (section 12.5.1's simplest tokenizer), windows of 64 characters.
- `masked-markov`: windows of an order-1 Markov source with 15 % of the tokens replaced by
  <mask> for training (section 12.6.1), and exactly one masked token per test window, away from
  the window's ends, so that the best possible test loss is the source's exact H(X_t | rest).
- `markov-pair`: which of two Markov sources wrote a sequence (a fine-tuning task, 12.6.2).
- `digit-reversal`: strings of 8 digits and their reversal (a sequence-to-sequence task, 12.8).

Language-model streams are split into train and test parts before windows are cut
(`text.split_stream`), so test text never appears in a training window.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from string import ascii_lowercase

import numpy as np

from ...nn.loss import binary_cross_entropy_with_logits, cross_entropy
from ...text import MarkovChain, char_vocabulary, encode_chars, load_text, next_token_windows, split_stream
from ...training.metrics import binary_error, classification_error
from ..tasks import Split, Task
from .bert import IGNORE, mask_tokens
from .seq2seq import teacher_forcing


@dataclass(frozen=True)
class LanguageTask(Task):
    """A task whose examples are windows of text in `vocabulary` (token i is the character
    vocabulary[i]): what `tinygrad-udl generate` needs to read a prompt and print tokens;
    `example_prompt` is its default prompt."""

    vocabulary: tuple = ()
    example_prompt: str = ""


def token_cross_entropy(logits, targets):
    """Mean next-token cross-entropy over every position (fig. 12.12), in nats per token."""
    return cross_entropy(logits, targets, axis=-1)


def masked_token_cross_entropy(logits, targets):
    """Mean cross-entropy over the masked positions only (fig. 12.10); targets elsewhere are IGNORE.
    Which positions are masked is read from each batch's targets by recorded steps, so training
    steps on this loss compile (nn/loss.py, `_class_labels`)."""
    return cross_entropy(logits, targets, axis=-1, ignore_index=IGNORE)


def token_error(logits, targets) -> float:
    """Fraction of positions whose most likely token (logits' last axis) is not the target."""
    return classification_error(np.moveaxis(np.asarray(getattr(logits, "data", logits)), -1, 1), targets)


# ---- the Markov language ------------------------------------------------------------------------------

MARKOV_VOCAB, MARKOV_ORDER, MARKOV_SEED = 16, 2, 0
MARKOV_ALPHABET = tuple(ascii_lowercase[:MARKOV_VOCAB])   # token i is written as the i-th letter
MARKOV_CONTEXT = 32
MARKOV_TOKENS = 250_000   # 200,000 for training, 50,000 for testing


@functools.cache
def markov_source() -> MarkovChain:
    """The order-2 chain over 16 tokens of docs/text.md (Dirichlet(0.3) rows, seed 0): its bigram
    statistics are nearly uniform, so only a model that looks two tokens back does well."""
    return MarkovChain.random(MARKOV_VOCAB, MARKOV_ORDER, rng=MARKOV_SEED)


@functools.cache
def markov_streams():
    """(train, test) token streams of the source: one sample of 250,000 tokens (seed 1), cut 80/20."""
    return split_stream(markov_source().sample(MARKOV_TOKENS, rng=1), test_fraction=0.2)


@functools.cache
def markov_language() -> Split:
    """Non-overlapping windows of 32 tokens, targets shifted by one: 6,249 training, 1,562 test."""
    train, test = markov_streams()
    return Split(next_token_windows(train, MARKOV_CONTEXT), next_token_windows(test, MARKOV_CONTEXT))


# ---- Hamlet -------------------------------------------------------------------------------------------

HAMLET_CONTEXT = 64
HAMLET_TRAIN_STRIDE = 32   # training windows overlap by half: every character is seen at two offsets


@functools.cache
def hamlet_vocabulary() -> tuple:
    return char_vocabulary(load_text())


@functools.cache
def hamlet_streams():
    """(train, test) character ids: the first 90 % of the play and the last 10 %."""
    return split_stream(encode_chars(load_text(), hamlet_vocabulary()), test_fraction=0.1)


@functools.cache
def hamlet_characters() -> Split:
    """Windows of 64 characters: overlapping by half for training (4,891), disjoint for testing (271)."""
    train, test = hamlet_streams()
    return Split(next_token_windows(train, HAMLET_CONTEXT, stride=HAMLET_TRAIN_STRIDE),
                 next_token_windows(test, HAMLET_CONTEXT))


# ---- masked tokens ------------------------------------------------------------------------------------

MASK_RATE = 0.15   # BERT's fraction of masked input tokens (section 12.6.1's "small fraction")
MASKED_VOCAB, MASKED_ORDER, MASKED_SEED = 16, 1, 0
MASKED_LENGTH = 16
MASKED_TOKENS = 125_000   # 100,000 for training, 25,000 for testing
MASKINGS = 4   # each training window appears with 4 different masks (BERT duplicated its data 10 times)


@functools.cache
def masked_source() -> MarkovChain:
    """An order-1 chain over 16 tokens (Dirichlet(0.3) rows, seed 0): a masked token is told by
    both neighbours, Pr(x_t | x_t-1, x_t+1) ∝ P(x_t | x_t-1) P(x_t+1 | x_t)."""
    return MarkovChain.random(MASKED_VOCAB, MASKED_ORDER, rng=MASKED_SEED)


@functools.cache
def masked_markov() -> Split:
    """Training: windows of 16 tokens of `masked_source` (seed 1, the first 100,000 tokens), each
    4 times with 15 % of its tokens masked (fixed masks, seed 2). Test: windows of the last 25,000
    tokens with one masked token each, at a position t with k <= t < 16 - k (k = the source's
    order), so that all the context the source's H(X_t | rest) conditions on is in the window."""
    train, test = split_stream(masked_source().sample(MASKED_TOKENS, rng=1), test_fraction=0.2)
    windows = _cut(train, MASKED_LENGTH)
    x_train, y_train = mask_tokens(np.tile(windows, (MASKINGS, 1)), MASK_RATE, 2, mask_token=MASKED_VOCAB)
    test_windows = _cut(test, MASKED_LENGTH)
    positions = interior_positions(len(test_windows), MASKED_LENGTH, MASKED_ORDER, rng=3)
    return Split((x_train, y_train), single_masks(test_windows, positions, mask_token=MASKED_VOCAB))


def _cut(stream, length):
    """Consecutive windows of `length` tokens, (len(stream) // length, length)."""
    return stream[: len(stream) // length * length].reshape(-1, length)


def interior_positions(count, length, margin, rng) -> np.ndarray:
    """`count` positions drawn uniformly from margin..length-margin-1."""
    return np.random.default_rng(rng).integers(margin, length - margin, count)


def single_masks(windows, positions, mask_token):
    """(inputs, targets) with exactly the token at `positions[i]` of window i masked."""
    rows = np.arange(len(windows))
    inputs = windows.copy()
    inputs[rows, positions] = mask_token
    targets = np.full_like(windows, IGNORE)
    targets[rows, positions] = windows[rows, positions]
    return inputs, targets


# ---- which source wrote it ----------------------------------------------------------------------------

PAIR_VOCAB, PAIR_LENGTH = 8, 32
PAIR_MIXTURE = 0.15   # source B's rows: 85 % of source A's, 15 % of an independent random chain's


@functools.cache
def pair_sources() -> tuple:
    """(A, B): two order-1 chains over 8 tokens that differ only partly (B = 0.85 A + 0.15 C row by
    row), so that 32 tokens usually, not always, tell them apart."""
    a = MarkovChain.random(PAIR_VOCAB, 1, rng=10)
    c = MarkovChain.random(PAIR_VOCAB, 1, rng=11)
    return a, MarkovChain((1 - PAIR_MIXTURE) * a.transition + PAIR_MIXTURE * c.transition)


def pair_sequences(count, rng):
    """(sequences (count, 32), labels (count,)): label 1 = written by source B; equal numbers of each."""
    gen = np.random.default_rng(rng)
    sources = pair_sources()
    labels = np.arange(count) % 2
    sequences = np.stack([sources[label].sample(PAIR_LENGTH, gen) for label in labels])
    order = gen.permutation(count)
    return sequences[order], labels[order]


@functools.cache
def markov_pair() -> Split:
    """2,000 labelled training sequences (seed 12) and 2,000 test sequences (seed 13)."""
    return Split(pair_sequences(2000, 12), pair_sequences(2000, 13))


@functools.cache
def markov_pair_unlabelled() -> np.ndarray:
    """8,000 sequences from the two sources, half each, without labels: the pre-training text."""
    return pair_sequences(8000, 14)[0]


# ---- reversing digit strings --------------------------------------------------------------------------

DIGITS, REVERSAL_LENGTH = 10, 8


def reversal_examples(count, rng):
    """(pairs (count, 2, 8), targets (count, 8)): random digit strings, reversed; see
    `seq2seq.teacher_forcing` for the pairs."""
    source = np.random.default_rng(rng).integers(0, DIGITS, (count, REVERSAL_LENGTH))
    target = source[:, ::-1]
    return teacher_forcing(source, target, start_token=DIGITS), target.astype(np.int64)


@functools.cache
def digit_reversal() -> Split:
    """10,000 training and 1,000 test strings (seeds 20 and 21)."""
    return Split(reversal_examples(10_000, 20), reversal_examples(1000, 21))


# ---- the tasks ----------------------------------------------------------------------------------------

CE = "cross-entropy (nats/token)"

TASKS = {task.name: task for task in (
    LanguageTask("markov-language", "an order-2 Markov source over 16 letters, 200,000 training tokens, windows of 32",
                 markov_language, token_cross_entropy, loss_name=CE, vocabulary=MARKOV_ALPHABET, example_prompt="ab"),
    LanguageTask("hamlet-chars", "Hamlet at character level (65 characters), 90/10 split, windows of 64",
                 hamlet_characters, token_cross_entropy, loss_name=CE, vocabulary=hamlet_vocabulary(),
                 example_prompt="Ham.\nTo be, or not to be,"),
    Task("masked-markov", "an order-1 Markov source over 16 tokens in windows of 16, 15 % masked (4 maskings of "
         "100,000 tokens); one masked token per test window",
         masked_markov, masked_token_cross_entropy, loss_name="masked-token " + CE),
    Task("markov-pair", "which of two order-1 Markov sources (8 tokens) wrote 32 tokens; 2,000 labelled",
         markov_pair, binary_cross_entropy_with_logits, binary_error, loss_name="BCE"),
    Task("digit-reversal", "strings of 8 digits to their reversal, 10,000 training pairs", digit_reversal,
         token_cross_entropy, token_error, loss_name=CE),
)}
