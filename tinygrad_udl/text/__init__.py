"""Text data for the chapter-12 transformers: tokenizers, a source with a known entropy rate, a
shipped corpus, training windows and decoding strategies. Pure numpy.

- `BPE`: byte pair encoding (section 12.5.1, fig. 12.8), with a byte fallback so any text round-trips.
- `MarkovChain`: a synthetic language with exact entropy rate, n-gram baselines and masked-token entropy.
- `load_text`, `char_vocabulary`, `encode_chars`, `decode_chars`: *Hamlet* (public domain) and character tokens.
- `next_token_windows`, `split_stream`: (input, target) windows for next-token prediction (fig. 12.12).
- `greedy`, `beam_search`, `sample`, and the filters behind `sample` (section 12.7.3).
"""
from .bpe import BPE, FIG_12_8_TEXT
from .corpus import char_vocabulary, decode_chars, encode_chars, load_text
from .decoding import Beam, beam_search, greedy, sample, temperature_scale, top_k_filter, top_p_filter
from .markov import MarkovChain
from .windows import next_token_windows, split_stream

__all__ = [
    "BPE", "FIG_12_8_TEXT",
    "MarkovChain",
    "load_text", "char_vocabulary", "encode_chars", "decode_chars",
    "next_token_windows", "split_stream",
    "greedy", "beam_search", "sample", "Beam", "temperature_scale", "top_k_filter", "top_p_filter",
]
