"""An encoder, BERT-style: masked-token pre-training (section 12.6.1) and fine-tuning (section 12.6.2).

Pre-training (fig. 12.10): a small fraction of the input tokens is replaced by a generic <mask>
token, the sequence (after a <cls> token) passes through transformer layers in which every token
attends to every other, and each masked position's output embedding is mapped to logits over the
vocabulary; the loss is the multiclass cross-entropy of the missing tokens only (section 5.5).
Unlike a decoder, the prediction uses the context on both sides.

Fine-tuning (fig. 12.11a): the output embedding of <cls> is mapped to a single number and passed
through a logistic sigmoid, with the binary cross-entropy loss (section 5.4).
"""
from __future__ import annotations

import numpy as np

from ...checks import as_generator
from ...nn.linear import Linear
from ...nn.module import Module
from .blocks import TokenEmbedding, TransformerStack

# Targets of the positions that are not scored: cross_entropy(..., ignore_index=IGNORE) drops them
# (PyTorch's default ignore_index).
IGNORE = -100


class MaskedLanguageModel(Module):
    """`MaskedLanguageModel(vocab_size, seq_len, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, rng=0)`.

    Token ids 0..|V|−1 are the language; `mask_token` = |V| and `cls_token` = |V| + 1 are the two
    special tokens of fig. 12.10. The model puts <cls> in front of the N = `seq_len` input tokens.

    - `embedding`: `blocks.TokenEmbedding(|V| + 2, N + 1, D)`, (|V| + 2 + N + 1)·D parameters;
    - `transformer`: K post-LN layers without a mask (every token attends to every token),
      K·(4D² + 2DF + F + 9D);
    - `head`: nn.Linear(D, |V|), the logits of the missing token, (D + 1)·|V|.

    forward(tokens (B, L) ints, L <= N) -> logits (B, L, |V|) at the input positions (the <cls>
    position is dropped); `encode(tokens)` -> the output embeddings (B, L + 1, D), <cls> first.
    """

    def __init__(self, vocab_size, seq_len, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, rng=0,
                 dtype=None):
        super().__init__()
        gen = as_generator(rng, "MaskedLanguageModel")
        self.vocab_size, self.seq_len = int(vocab_size), int(seq_len)
        self.mask_token, self.cls_token = self.vocab_size, self.vocab_size + 1
        self.embedding = TokenEmbedding(vocab_size + 2, seq_len + 1, d_model, rng=gen, dtype=dtype)
        self.transformer = TransformerStack(d_model, nhead, dim_feedforward, num_layers, causal=False, rng=gen,
                                            dtype=dtype)
        self.head = Linear(d_model, vocab_size, dtype=dtype, rng=gen)

    def encode(self, tokens):
        return self.transformer(self.embedding(tokens, prefix=self.cls_token))

    def forward(self, tokens):
        return self.head(self.encode(tokens)[:, 1:])


class SequenceClassifier(Module):
    """`SequenceClassifier(vocab_size, seq_len, d_model=64, ..., rng=0)`: a `MaskedLanguageModel` with a
    classification head on <cls> (section 12.6.2, fig. 12.11a).

    `encoder` is the masked language model (pre-trained first, then fine-tuned with everything
    else; its `head` is not used for classification) and `classifier` is nn.Linear(D, 1): the <cls>
    output embedding to one logit f, Pr(class 1) = sig[f] (eq. 5.17's Bernoulli). Parameters: the
    encoder's plus D + 1. forward(tokens (B, L)) -> logits (B,).
    """

    def __init__(self, vocab_size, seq_len, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, rng=0,
                 dtype=None):
        super().__init__()
        gen = as_generator(rng, "SequenceClassifier")
        self.encoder = MaskedLanguageModel(vocab_size, seq_len, d_model, nhead, num_layers, dim_feedforward, rng=gen,
                                           dtype=dtype)
        self.classifier = Linear(d_model, 1, dtype=dtype, rng=gen)

    def forward(self, tokens):
        return self.classifier(self.encoder.encode(tokens)[:, 0])[:, 0]   # <cls> is position 0


def mask_tokens(tokens, rate, rng, mask_token):
    """(inputs, targets) for masked-token training: each token is replaced by `mask_token` with
    probability `rate` (at least one per sequence, so every sequence scores something); the
    targets hold the original token there and `IGNORE` elsewhere."""
    tokens = np.asarray(tokens)
    gen = as_generator(rng, "mask_tokens")
    if not 0 < rate < 1:
        raise ValueError(f"mask_tokens: rate must be between 0 and 1, got {rate}")
    masked = gen.random(tokens.shape) < rate
    masked[np.arange(len(tokens)), gen.integers(0, tokens.shape[1], len(tokens))] = True
    return np.where(masked, mask_token, tokens), np.where(masked, tokens, IGNORE)
