"""Byte pair encoding: the sub-word tokenizer of section 12.5.1 and fig. 12.8.

Training follows the book's worked example. The text starts as characters, whitespace included
(the figure draws a space as an underscore). At each iteration the most frequent pair of adjacent
tokens is merged into a new token everywhere it occurs, except that "the last character of the
first token to be merged cannot be whitespace, which prevents merging across words" (fig. 12.8c).
So a whitespace character is the book's end-of-word marker, and a word's tokens end with it:
after enough merges "sea " is one token (fig. 12.8e).

Choices the book leaves open, fixed here:

- Words. A word is a run of non-whitespace characters together with the one whitespace
  character that ends it (`_words`); the text is exactly the concatenation of its words. Any
  whitespace character (Python's `\\s`: space, tab, newline, ...) ends a word, and a run of
  several is a run of one-character words. Because a word holds whitespace only at its end,
  merging inside words is the same as the book's rule applied to the whole text, and training
  counts each distinct word once, weighted by how often it occurs.
- Ties. Among equally frequent pairs, the one that occurs first in the (current segmentation of
  the) training text is merged, so training is deterministic. (The first two merges, which the
  caption of fig. 12.8 names, are not ties; the tests check them.)
- Overlaps. Pairs are counted at every position, so "e e e" counts (e, e) twice, and a merge
  replaces occurrences left to right without overlap.
- Characters the training text lacks. The vocabulary ends with 256 byte tokens, and `encode`
  writes an unseen character as the bytes of its UTF-8 encoding (a byte fallback), so
  `decode(encode(text)) == text` for every string, whatever it contains. Merges never involve
  byte tokens.

The vocabulary is the training text's characters (by code point), then one token per merge (a
merge that rebuilds an existing string reuses its id), then the 256 byte tokens; its length is
the size |V| of the embedding matrix (section 12.5.2).
"""
from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from ..checks import check_int

_WORD = re.compile(r"\S*\s|\S+")
_NUM_BYTES = 256

# The training text of fig. 12.8a, the nursery rhyme "A sailor went to sea", in lower case without
# punctuation. The figure draws each space as an underscore; every word carries its end-of-word
# space, the last word included.
FIG_12_8_TEXT = ("a sailor went to sea sea sea to see what he could see see see "
                 "but all that he could see see see was the bottom of the deep blue sea sea sea ")


def _words(text: str) -> list[str]:
    """Split `text` into words, each ending with its whitespace character (the last may have none)."""
    return _WORD.findall(text)


class BPE:
    """A byte pair encoding tokenizer (fig. 12.8).

    Build one with `BPE.train(text, num_merges)` or `BPE.train(text, vocab_size=...)`. The
    constructor restores a trained tokenizer from its parts, for instance after saving
    `bpe.alphabet` and `bpe.merges` as JSON.

    Attributes:
        alphabet: the initial tokens, one per character, sorted by code point.
        merges: the learned merges in order, as (left, right) token strings.
        vocab: every token: strings for the alphabet and the merges, then 256 one-byte `bytes`
            tokens for the byte fallback. Token id i is `vocab[i]`.
    """

    def __init__(self, alphabet: Sequence[str], merges: Sequence[tuple[str, str]] = ()):
        where = "BPE"
        self.alphabet = tuple(alphabet)
        for ch in self.alphabet:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"{where}: every alphabet entry must be a one-character string, got {ch!r}")
        if len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError(f"{where}: the alphabet repeats a character; pass each character once")
        tokens: list[str] = list(self.alphabet)
        self._ids: dict[str, int] = {t: i for i, t in enumerate(tokens)}
        # (left id, right id) -> [(rank, merged id), ...] in rank order: `encode` replays the merges
        # in the order they were learned. A pair can recur only after a merge rebuilt an existing
        # token string (which then keeps its id), so the list is almost always of length one.
        self._merge_ranks: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self.merges: tuple[tuple[str, str], ...] = tuple(tuple(m) for m in merges)
        for rank, merge in enumerate(self.merges):
            if len(merge) != 2 or not all(isinstance(part, str) for part in merge):
                raise ValueError(f"{where}: merge {rank} must be a pair of token strings (left, right), got {merge!r}")
            left, right = merge
            for part in (left, right):
                if part not in self._ids:
                    raise ValueError(f"{where}: merge {rank} {(left, right)!r} uses {part!r}, which is neither "
                                     f"an alphabet character nor the result of an earlier merge")
            if left[-1].isspace():
                raise ValueError(f"{where}: merge {rank} {(left, right)!r} has a left token ending in whitespace; "
                                 f"merges may not cross words (fig. 12.8c)")
            merged = left + right
            if merged not in self._ids:
                self._ids[merged] = len(tokens)
                tokens.append(merged)
            self._merge_ranks.setdefault((self._ids[left], self._ids[right]), []).append((rank, self._ids[merged]))
        self._byte_base = len(tokens)
        self.vocab: tuple[str | bytes, ...] = tuple(tokens) + tuple(bytes([b]) for b in range(_NUM_BYTES))

    @property
    def vocab_size(self) -> int:
        """|V|: text tokens plus the 256 byte tokens."""
        return len(self.vocab)

    @classmethod
    def train(cls, text: str, num_merges: int | None = None, *, vocab_size: int | None = None) -> BPE:
        """Learn merges from `text` as in fig. 12.8: repeatedly merge the most frequent adjacent pair.

        Give exactly one stopping rule: `num_merges` merges, or merges until the vocabulary
        (including the 256 byte tokens) has `vocab_size` tokens. Training stops early when no
        pair is left, i.e. every word is a single token (fig. 12.8e).
        """
        where = "BPE.train"
        if not isinstance(text, str):
            raise TypeError(f"{where}: text must be a str, got {type(text).__name__}")
        if (num_merges is None) == (vocab_size is None):
            raise TypeError(f"{where}: give exactly one of num_merges and vocab_size, "
                            f"e.g. BPE.train(text, 22) or BPE.train(text, vocab_size=1000)")
        alphabet = sorted(set(text))
        if num_merges is not None:
            num_merges = check_int(num_merges, "num_merges", where, minimum=0)
        else:
            minimum = len(alphabet) + _NUM_BYTES
            vocab_size = check_int(vocab_size, "vocab_size", where, minimum=0)
            if vocab_size < minimum:
                raise ValueError(f"{where}: vocab_size={vocab_size} is smaller than the {len(alphabet)} characters "
                                 f"of the text plus {_NUM_BYTES} byte tokens; use vocab_size >= {minimum}")
        trainer = _Trainer(text, alphabet)

        def more() -> bool:
            if num_merges is not None:
                return len(trainer.merges) < num_merges
            return len(trainer.tokens) + _NUM_BYTES < vocab_size

        while more() and trainer.merge_most_frequent():
            pass
        return cls(alphabet, trainer.merges)

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`: each word's characters (unseen ones as UTF-8 byte tokens), then the merges in order."""
        if not isinstance(text, str):
            raise TypeError(f"BPE.encode: text must be a str, got {type(text).__name__}")
        seen: dict[str, list[int]] = {}  # a text repeats its words: encode each distinct word once
        ids: list[int] = []
        for word in _words(text):
            if word not in seen:
                seen[word] = self._encode_word(word)
            ids.extend(seen[word])
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of token ids; consecutive byte tokens are decoded together as UTF-8."""
        where = "BPE.decode"
        parts: list[str] = []
        pending = bytearray()
        for position, i in enumerate(ids):
            try:
                i = operator.index(i)
            except TypeError:
                raise TypeError(f"{where}: ids must be ints, got {type(i).__name__} at position {position}") from None
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"{where}: id {i} at position {position} is outside the vocabulary "
                                 f"0..{len(self.vocab) - 1}")
            token = self.vocab[i]
            if isinstance(token, bytes):
                pending += token
                continue
            parts.append(_decode_bytes(pending, where))
            pending.clear()
            parts.append(token)
        parts.append(_decode_bytes(pending, where))
        return "".join(parts)

    def _encode_word(self, word: str) -> list[int]:
        symbols: list[int] = []
        for ch in word:
            if ch in self._ids:  # merged tokens are longer than one character, so this is the alphabet
                symbols.append(self._ids[ch])
            else:
                symbols.extend(self._byte_base + b for b in ch.encode("utf-8", "surrogatepass"))
        # Replay training: merges apply in the order they were learned, each once. Skipping to the
        # lowest-ranked pair present (not below the last applied rank) skips the merges that
        # cannot apply, and a merge that rebuilds an existing token can then not act out of turn.
        next_rank = 0
        while True:
            best = None
            for pair in zip(symbols, symbols[1:]):
                for rank, merged in self._merge_ranks.get(pair, ()):
                    if rank >= next_rank:
                        if best is None or rank < best[0]:
                            best = (rank, merged, pair)
                        break
            if best is None:
                return symbols
            rank, merged, pair = best
            symbols = _merge(symbols, pair, merged)
            next_rank = rank + 1


def _merge(symbols: list[int], pair: tuple[int, int], merged: int) -> list[int]:
    """Replace the occurrences of `pair` in `symbols` by `merged`, left to right without overlap."""
    out: list[int] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def _decode_bytes(data: bytearray, where: str) -> str:
    try:
        # surrogatepass: `encode` writes lone surrogates (legal in a Python str) this way too
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: the byte tokens {bytes(data)!r} are not valid UTF-8 ({err.reason}); "
                         f"byte tokens only decode in the groups that encode produces") from None


class _Trainer:
    """The state of fig. 12.8's loop: the distinct words as token ids, and the adjacent-pair counts.

    A merge only changes the words that contain the merged pair, so the pair counts are updated
    for those words instead of recounted over the whole text.
    """

    def __init__(self, text: str, alphabet: list[str]):
        self.tokens: list[str] = list(alphabet)
        self.ids = {t: i for i, t in enumerate(alphabet)}
        counts = Counter(_words(text))  # insertion order: the order of first occurrence
        self.words = [[self.ids[ch] for ch in word] for word in counts]
        self.freqs = list(counts.values())
        self.merges: list[tuple[str, str]] = []
        self.pair_count: Counter[tuple[int, int]] = Counter()
        self.pair_words: dict[tuple[int, int], set[int]] = {}
        for w in range(len(self.words)):
            self._add_pairs(w)

    def merge_most_frequent(self) -> bool:
        """Merge the most frequent pair (the first to occur among ties); False when no pair is left."""
        if not self.pair_count:
            return False
        top = max(self.pair_count.values())
        pair = min((p for p, c in self.pair_count.items() if c == top), key=self._first_occurrence)
        left, right = (self.tokens[i] for i in pair)
        merged = left + right
        if merged not in self.ids:
            self.ids[merged] = len(self.tokens)
            self.tokens.append(merged)
        self.merges.append((left, right))
        for w in self.pair_words[pair].copy():
            self._remove_pairs(w)
            self.words[w] = _merge(self.words[w], pair, self.ids[merged])
            self._add_pairs(w)
        return True

    def _first_occurrence(self, pair: tuple[int, int]) -> tuple[int, int]:
        # Distinct words are numbered in order of first occurrence, so the first occurrence of a
        # pair in the text is in its lowest-numbered word, at its leftmost character offset there.
        w = min(self.pair_words[pair])
        offset = 0
        for a, b in zip(self.words[w], self.words[w][1:]):
            if (a, b) == pair:
                return w, offset
            offset += len(self.tokens[a])
        raise AssertionError("pair index out of date")  # pair_words lists only words holding the pair

    def _add_pairs(self, w: int) -> None:
        for pair in zip(self.words[w], self.words[w][1:]):
            self.pair_count[pair] += self.freqs[w]
            self.pair_words.setdefault(pair, set()).add(w)

    def _remove_pairs(self, w: int) -> None:
        for pair in zip(self.words[w], self.words[w][1:]):
            self.pair_count[pair] -= self.freqs[w]
            if self.pair_count[pair] == 0:
                del self.pair_count[pair]
                del self.pair_words[pair]
            else:
                self.pair_words[pair].discard(w)
