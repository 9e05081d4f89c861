"""The zoo entries of chapter 12 (transformers). The book trains no model small enough to reproduce,
so each entry is read against an exact reference computed independently: the entropies of a known
source, a Bayes-optimal classifier, what a trivial rule achieves, or fig. 10.7's CNN on the same
data. As in chapter 13, the `book` column of a table holds the reference (or the book's number
where it prints one) and the note says which; rows named "reference: ..." have no number of ours."""
from __future__ import annotations

import numpy as np

from ..registry import ZooEntry
from ..tasks import TASKS as SUPERVISED_TASKS
from . import references
from .bert import MaskedLanguageModel, SequenceClassifier
from .data import (DIGITS, HAMLET_CONTEXT, MARKOV_CONTEXT, MARKOV_VOCAB, MASKED_LENGTH, MASKED_VOCAB, PAIR_LENGTH,
                   PAIR_VOCAB, REVERSAL_LENGTH, TASKS, hamlet_streams, hamlet_vocabulary, markov_source, masked_source,
                   pair_sources)
from .gpt import GPT
from .pictures import attention_pictures
from .seq2seq import EncoderDecoderTransformer
from .training import beside_the_cnn, pretrain_then_fine_tune
from .vit import VisionTransformer1d

SILENT = "ours (the book trains no model of this size): Adam"
NO_NUMBER = "the book prints no number"
TINY = {"d_model": 8, "nhead": 2, "num_layers": 1, "dim_feedforward": 8}
SMALL = {"d_model": 32, "dim_feedforward": 128}   # 2 layers of 4 heads of 8; an MLP 4x as wide, as BERT's and GPT's
BAYES_SAMPLES = 20_000


# ---- result rows ------------------------------------------------------------------------------------------


def _losses(history, loss_name, reference, note):
    return [{"metric": f"test {loss_name}", "book": reference, "ours": history.final["test_loss"], "note": note},
            {"metric": f"training {loss_name}", "book": None, "ours": history.final["train_loss"], "note": None}]


def _reference(metric, value, note):
    return {"metric": f"reference: {metric}", "book": value, "ours": None, "note": note}


def _markov_rows(model, history, split):
    chain = markov_source()
    return [
        *_losses(history, TASKS["markov-language"].loss_name, references.window_entropy(chain, MARKOV_CONTEXT),
                 f"reference: the lowest expected loss on windows of {MARKOV_CONTEXT} (exact; the first targets see "
                 f"fewer than 2 tokens); {NO_NUMBER}"),
        _reference("the source's own loss on these test windows", references.source_cross_entropy(chain, *split.test),
                   "exact conditionals on the same tokens (the test set's sampling noise)"),
        _reference("entropy rate of the source", chain.entropy_rate(), "exact: unlimited context"),
        _reference("bigram baseline H(X_n | X_n-1)", chain.ngram_cross_entropy(2), "exact: 1 token of context"),
        _reference("unigram baseline H(X_n)", chain.ngram_cross_entropy(1), "exact: no context"),
    ]


def _hamlet_rows(model, history, split):
    train, test = hamlet_streams()
    vocab = len(hamlet_vocabulary())
    counts = f"add-{references.NGRAM_ALPHA} counts of the training text, on the test text"
    return [
        *_losses(history, TASKS["hamlet-chars"].loss_name, None,
                 "no exact reference: the entropy rate of English text is unknown; compare the n-gram baselines"),
        *(_reference(f"{name} baseline", references.ngram_cross_entropy(train, test, n, vocab), counts)
          for n, name in ((3, "trigram"), (2, "bigram"), (1, "unigram"))),
    ]


def _masked_rows(model, history, split):
    chain = masked_source()
    return [
        *_losses(history, TASKS["masked-markov"].loss_name, chain.masked_token_entropy(),
                 f"reference: H(X_t | all other tokens), exact; {NO_NUMBER}"),
        _reference("the source's own loss on the same masked tokens",
                   references.source_masked_cross_entropy(chain, *split.test, mask_token=MASKED_VOCAB),
                   "exact Pr(x_t | rest) on the same tokens, by brute force over x_t"),
        _reference("entropy rate: left context only (a decoder's best)", chain.entropy_rate(),
                   "exact: both sides of the context help"),
        _reference("unigram baseline H(X_t)", chain.ngram_cross_entropy(1), "exact: no context"),
    ]


def _classifier_rows(model, history, split):
    source_0, source_1 = pair_sources()
    x_test, y_test = split.test
    bayes_test = 100.0 * np.mean(references.likelihood_ratio_labels(source_0, source_1, x_test) != y_test)
    bayes, stderr = references.bayes_error(source_0, source_1, PAIR_LENGTH, BAYES_SAMPLES, rng=99)
    info = history.info["pretraining"]
    return [
        {"metric": "test error (%)", "book": bayes_test, "ours": history.final["test_error"],
         "note": f"reference: the Bayes-optimal classifier (likelihood ratio of the two sources) on the same test "
                 f"set; {NO_NUMBER}"},
        {"metric": "training error (%)", "book": None, "ours": history.final["train_error"], "note": None},
        _reference("the Bayes-optimal expected error (%)", 100 * bayes,
                   f"± {100 * stderr:.2f} ({BAYES_SAMPLES:,} fresh sequences)"),
        _reference("chance (%)", 50.0, "the two sources are equally likely"),
        {"metric": "the same network without pre-training: test error (%)", "book": None,
         "ours": history.info["from_scratch"]["test_error"],
         "note": "fine-tuned from the same initial weights with the same batches"},
        {"metric": "masked-token loss after pre-training", "book": None, "ours": info["masked_loss_after"],
         "note": f"from {info['masked_loss_before']:.3f}, {info['steps']:,} steps on unlabelled sequences"},
    ]


def _reversal_rows(model, history, split):
    pairs, targets = split.test
    sources = pairs[:, 0]
    return [
        {"metric": "exact-sequence accuracy, greedy decoding (%)", "book": 100.0,
         "ours": 100.0 * np.mean(np.all(model.greedy(sources) == targets, axis=1)),
         "note": f"reference: 100 % is achievable (reversing is a function); {NO_NUMBER}"},
        _reference("copying the input (%)", 100.0 * np.mean(np.all(sources == targets, axis=1)),
                   "a trivial rule: right for palindromes only"),
        _reference("guessing without the input (%)", 100.0 * DIGITS ** -REVERSAL_LENGTH,
                   f"10^-{REVERSAL_LENGTH}: every string is equally likely"),
    ]


def _cnn_rows(model, history, split):
    cnn = history.info["cnn"]
    return [_reference("MNIST1DCNN (fig. 10.7) trained the same way: test error (%)", cnn["test_error"],
                       f"{cnn['parameters']:,} parameters, same optimizer, batches and steps")]


def _attention_pictures(name, task):
    """`pictures` of a language-model entry: the attention maps of its first test window."""
    def draw(model, history, split, out):
        tokens = split.test[0][0]
        return attention_pictures(model, tokens, [task.vocabulary[t] for t in tokens], out, name)
    return draw


# ---- the catalogue ----------------------------------------------------------------------------------------


def entries() -> list:
    """The entries of chapter 12, in book order."""
    markov = {"vocab_size": MARKOV_VOCAB, "context_length": MARKOV_CONTEXT}
    hamlet = {"vocab_size": len(hamlet_vocabulary()), "context_length": HAMLET_CONTEXT}
    masked = {"vocab_size": MASKED_VOCAB, "seq_len": MASKED_LENGTH}
    pair = {"vocab_size": PAIR_VOCAB, "seq_len": PAIR_LENGTH}
    reversal = {"vocab_size": DIGITS, "length": REVERSAL_LENGTH}
    return [
        ZooEntry("bert-markov", "12.6.1, fig. 12.10",
                 "BERT-style encoder: masked-token pre-training on a Markov source", MaskedLanguageModel,
                 TASKS["masked-markov"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 64, "steps": 2000, "eval_every": 3},
                 SILENT + ", lr 3e-3, batch 64, 2,000 steps; 15 % of the tokens masked (BERT's rate)",
                 model_kwargs={**masked, **SMALL}, tiny={**masked, **TINY}, metrics=("parameters",),
                 extra_rows=_masked_rows),
        ZooEntry("bert-classify", "12.6.2, fig. 12.11a",
                 "the encoder pre-trained on unlabelled text, fine-tuned to tell two Markov sources apart",
                 SequenceClassifier, TASKS["markov-pair"],
                 {"optimizer": "adam", "pretrain_lr": 0.001, "pretrain_steps": 1000, "lr": 0.0003, "steps": 500,
                  "batch_size": 32, "eval_every": 2},
                 SILENT + ", batch 32: 1,000 masked-token steps at lr 1e-3 on 8,000 unlabelled sequences, then 500 "
                 "fine-tuning steps at lr 3e-4 on 2,000 labelled ones (--steps and --lr set the fine-tuning's)",
                 model_kwargs={**pair, **SMALL}, tiny={**pair, **TINY}, metrics=("parameters",),
                 trainer=pretrain_then_fine_tune, extra_rows=_classifier_rows),
        ZooEntry("gpt-markov", "12.7, eqs. 12.14-12.15, fig. 12.12",
                 "GPT-style decoder (masked self-attention) on a Markov language with a known entropy rate",
                 GPT, TASKS["markov-language"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 32, "steps": 2500, "eval_every": 5},
                 SILENT + ", lr 3e-3, batch 32, 2,500 steps", model_kwargs={**markov, **SMALL},
                 tiny={**markov, **TINY}, metrics=("parameters",), extra_rows=_markov_rows,
                 pictures=_attention_pictures("gpt-markov", TASKS["markov-language"])),
        ZooEntry("gpt-hamlet", "12.7, fig. 12.12; 12.5.1", "GPT-style decoder on Hamlet, character level",
                 GPT, TASKS["hamlet-chars"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 32, "steps": 800, "eval_every": 5},
                 SILENT + ", lr 3e-3, batch 32, 800 steps", model_kwargs=hamlet, tiny={**hamlet, **TINY},
                 metrics=("parameters",), extra_rows=_hamlet_rows,
                 pictures=_attention_pictures("gpt-hamlet", TASKS["hamlet-chars"])),
        ZooEntry("seq2seq-reverse", "12.8, figs. 12.13-12.14",
                 "encoder-decoder transformer reversing strings of 8 digits", EncoderDecoderTransformer,
                 TASKS["digit-reversal"], {"optimizer": "adam", "lr": 0.003, "batch_size": 32, "steps": 400},
                 SILENT + ", lr 3e-3, batch 32, 400 steps", model_kwargs={**reversal, **SMALL},
                 tiny={**reversal, **TINY}, notes={"test_error": "per token, teacher-forced"},
                 extra_rows=_reversal_rows),
        ZooEntry("vit-mnist1d", "12.10.2, fig. 12.17", "vision transformer on MNIST-1D patches, beside fig. 10.7's CNN",
                 VisionTransformer1d, SUPERVISED_TASKS["mnist1d"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 100, "steps": 3000, "eval_every": 10},
                 SILENT + ", lr 3e-3, batch 100, 3,000 steps; the CNN reference is trained with the same settings",
                 book={"test_error": 17.0},
                 notes={"test_error": "book: ~17 % for fig. 10.7's CNN on the same data (section 10.2.7); "
                                      "no ViT number"},
                 tiny={"d_model": 4, "nhead": 2, "num_layers": 1, "dim_feedforward": 4, "patch_size": 8},
                 trainer=beside_the_cnn, extra_rows=_cnn_rows),
    ]
