"""A decoder-only transformer language model, GPT-style (section 12.7, figs. 12.12 and 12.1).

An autoregressive language model factors the probability of a text into next-token probabilities,

    Pr(t_1, ..., t_N) = Pr(t_1) Π_{n=2..N} Pr(t_n | t_1, ..., t_{n−1})        (eqs. 12.14-12.15)

and a decoder computes all N of them in one pass: masked self-attention (section 12.7.2) lets the
output at position n depend on tokens 1..n only, a linear layer maps each output embedding to
|V| logits, and training minimises the sum of the next-token cross-entropies at every position
(fig. 12.12; here their mean, in nats per token). Generation feeds each chosen token back in
(section 12.7.3): `next_log_probs` is the callable the decoders of `tinygrad_udl.text` take.
"""
from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from ...autograd.graph import no_grad
from ...checks import as_generator
from ...nn.linear import Linear
from ...nn.module import Module
from .blocks import TokenEmbedding, TransformerStack, token_ids


class GPT(Module):
    """`GPT(vocab_size, context_length, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, rng=0)`.

    - `embedding`: token embeddings Ω_e and learned absolute positions (`blocks.TokenEmbedding`,
      section 12.5.2 and 12.3.1), |V|·D + N_ctx·D parameters;
    - `transformer`: K post-LN layers with masked self-attention (eq. 12.13, section 12.7.2;
      `blocks.TransformerStack(causal=True)`), K·(4D² + 2DF + F + 9D);
    - `head`: nn.Linear(D, |V|), the linear map to the vocabulary of fig. 12.12, D·|V| + |V|. It
      is *untied*: its weight is not the embedding matrix (the book describes the two as separate
      maps; GPT-2 ties them).

    Total (|V| + N_ctx)·D + K·(4D² + 2DF + F + 9D) + (D + 1)·|V|: for the defaults with |V| = 65
    and N_ctx = 64 (gpt-hamlet) that is 8,256 + 99,968 + 4,225 = 112,449.

    forward(tokens (N, L) ints, L <= context_length) -> logits (N, L, |V|); the logits at position
    n are those of Pr(t_{n+1} | t_1..t_n).
    """

    def __init__(self, vocab_size, context_length, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, rng=0,
                 dtype=None):
        super().__init__()
        gen = as_generator(rng, "GPT")
        self.vocab_size, self.context_length = int(vocab_size), int(context_length)
        self.embedding = TokenEmbedding(vocab_size, context_length, d_model, rng=gen, dtype=dtype)
        self.transformer = TransformerStack(d_model, nhead, dim_feedforward, num_layers, causal=True, rng=gen,
                                            dtype=dtype)
        self.head = Linear(d_model, vocab_size, dtype=dtype, rng=gen)

    def forward(self, tokens):
        return self.head(self.transformer(self.embedding(tokens)))

    def next_log_probs(self, prefix) -> np.ndarray:
        """log Pr(next token | prefix), shape (|V|,) float64, for `tinygrad_udl.text.greedy`,
        `sample` and `beam_search`. Only the last `context_length` tokens are seen."""
        return self.next_log_probs_batch([prefix])[0]

    def next_log_probs_batch(self, prefixes) -> np.ndarray:
        """`next_log_probs` for several prefixes of one length at once, (B, |V|): one forward pass
        per step of `beam_search(..., batched=True)`."""
        rows = [tuple(p) for p in prefixes]
        if not rows or not rows[0] or len({len(p) for p in rows}) != 1:
            raise ValueError("GPT.next_log_probs: give one or more non-empty prefixes of one length (the model "
                             "predicts a token from the tokens before it; there is no <start> token)")
        window = token_ids(np.array(rows)[:, -self.context_length:], self.context_length, "GPT.next_log_probs")
        if window.min() < 0 or window.max() >= self.vocab_size:
            raise ValueError(f"GPT.next_log_probs: token ids must lie in 0..{self.vocab_size - 1}")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                logits = self(window).data[:, -1].astype(np.float64)
        finally:
            self.train(was_training)
        return log_softmax(logits, axis=-1)

    def attention_weights(self, tokens, layer=0) -> np.ndarray:
        """(N, H, L, L): every head's attention weights in layer `layer` for `tokens` (N, L)."""
        return self.transformer.attention_weights(self.embedding(tokens), layer)
