"""An encoder-decoder transformer for sequence-to-sequence tasks (section 12.8, figs. 12.13-12.14).

The encoder turns the source sequence into one output embedding per token. The decoder is a
language model of the target sequence, as in section 12.7, with one more sub-layer in each
layer: cross-attention, whose queries come from the decoder's embeddings and whose keys and
values come from the encoder's output (fig. 12.14). So each output token is predicted from the
output tokens before it and the whole source. Training is the decoder's: the target shifted
right behind a <start> token goes in ("teacher forcing"), and the loss is the cross-entropy of
the next target token at every position. At test time the decoder generates the output itself,
one token at a time (section 12.7.3).
"""
from __future__ import annotations

import numpy as np

from ...autograd.graph import no_grad
from ...autograd.tensor import Tensor
from ...checks import as_generator
from ...nn.linear import Linear
from ...nn.module import Module
from .blocks import DecoderStack, TokenEmbedding, TransformerStack


class EncoderDecoderTransformer(Module):
    """`EncoderDecoderTransformer(vocab_size, length, d_model=64, nhead=4, num_layers=2, dim_feedforward=256,
    rng=0)`: sequences of `length` tokens to sequences of `length` tokens over one vocabulary.

    - `embedding`: `blocks.TokenEmbedding(|V| + 1, length, D)`, shared by source and target (as
      Vaswani et al. share theirs): the tokens 0..|V|−1 and `start_token` = |V|, (|V| + 1 + length)·D
      parameters;
    - `encoder`: K layers without a mask, K·(4D² + 2DF + F + 9D) (`encoder.layers.i`, PyTorch's
      `nn.Transformer` names);
    - `decoder`: K layers of masked self-attention, cross-attention and MLP,
      K·(8D² + 2DF + F + 15D) (`decoder.layers.i`);
    - `head`: nn.Linear(D, |V|), (D + 1)·|V|.

    forward(pairs (N, 2, length) ints) -> logits (N, length, |V|), where pairs[:, 0] is the source and
    pairs[:, 1] the decoder's input, the target shifted right behind <start> (`teacher_forcing`):
    one array per example, the form `training.fit` batches. `greedy(source)` generates.
    """

    def __init__(self, vocab_size, length, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, rng=0,
                 dtype=None):
        super().__init__()
        gen = as_generator(rng, "EncoderDecoderTransformer")
        self.length, self.vocab_size, self.start_token = int(length), int(vocab_size), int(vocab_size)
        self.embedding = TokenEmbedding(vocab_size + 1, length, d_model, rng=gen, dtype=dtype)
        self.encoder = TransformerStack(d_model, nhead, dim_feedforward, num_layers, causal=False, rng=gen,
                                        dtype=dtype)
        self.decoder = DecoderStack(d_model, nhead, dim_feedforward, num_layers, rng=gen, dtype=dtype)
        self.head = Linear(d_model, vocab_size, dtype=dtype, rng=gen)

    def forward(self, pairs):
        ids = np.asarray(pairs.data if isinstance(pairs, Tensor) else pairs)
        if ids.ndim != 3 or ids.shape[1] != 2:
            raise ValueError(f"EncoderDecoderTransformer: expected (N, 2, L) token ids (source, shifted target), "
                             f"got shape {ids.shape}")
        # both sequences embedded in one lookup, then split as tensors: the batch itself indexes the
        # table, so a compiled training step (tinygrad_udl.compile) can replay it
        x = self.embedding(pairs)
        return self.head(self.decoder(x[:, 1], self.encoder(x[:, 0])))

    def encode(self, source):
        """The encoder's output embeddings (N, L, D): the keys and values of cross-attention."""
        return self.encoder(self.embedding(source))

    def decode(self, memory, decoder_input):
        """Logits (N, L_out, |V|) of the next target token at each position of `decoder_input`."""
        return self.head(self.decoder(self.embedding(decoder_input), memory))

    def greedy(self, source) -> np.ndarray:
        """The most likely token at every step (section 12.7.3), `length` steps for every source
        sequence at once: (N, length) ints. (`text.greedy` decodes one sequence; this runs the
        decoder on the whole batch per step.)"""
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                memory = self.encode(source)
                out = np.full((memory.shape[0], 1), self.start_token)
                for _ in range(self.length):
                    logits = self.decode(memory, out).data[:, -1]
                    out = np.concatenate([out, logits.argmax(axis=-1)[:, None]], axis=1)
        finally:
            self.train(was_training)
        return out[:, 1:]


def teacher_forcing(source, target, start_token) -> np.ndarray:
    """(N, 2, L): the source and the decoder's input, the target shifted right behind <start>."""
    source, target = np.asarray(source), np.asarray(target)
    shifted = np.concatenate([np.full((len(target), 1), start_token), target[:, :-1]], axis=1)
    return np.stack([source, shifted], axis=1).astype(np.int64)
