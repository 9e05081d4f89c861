"""Byte pair encoding (fig. 12.8): the book's worked example, the book's rule applied literally to the
whole text, and the encode/decode round trip for any string."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.text import BPE, FIG_12_8_TEXT

# The caption of fig. 12.8: b) the first merge is "se"; c) the second is e and the whitespace.
BOOK_FIRST_MERGES = [("s", "e"), ("e", " ")]


def reference_bpe(text, num_merges):
    """The book's loop on the whole text as one sequence: count adjacent pairs whose left token
    does not end in whitespace (fig. 12.8c), merge the most frequent pair everywhere, left to
    right; among ties the pair that occurs first. Returns the merges and the final tokens."""
    seq = list(text)
    merges = []
    while len(merges) < num_merges:
        counts, first = {}, {}
        for i, pair in enumerate(zip(seq, seq[1:])):
            if pair[0][-1].isspace():
                continue
            counts[pair] = counts.get(pair, 0) + 1
            first.setdefault(pair, i)
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -first[p]))
        merges.append(best)
        seq = merge_everywhere(seq, best)
    return merges, seq


def merge_everywhere(seq, pair):
    """`seq` with every occurrence of the adjacent `pair` joined into one token, left to right."""
    out, i = [], 0
    while i < len(seq):
        if i + 1 < len(seq) and (seq[i], seq[i + 1]) == pair:
            out.append(seq[i] + seq[i + 1])
            i += 2
        else:
            out.append(seq[i])
            i += 1
    return out


def tokens_of(bpe, text):
    return [bpe.vocab[i] for i in bpe.encode(text)]


def test_the_book_example_starts_with_the_merges_the_caption_names():
    bpe = BPE.train(FIG_12_8_TEXT, 2)
    assert list(bpe.merges) == BOOK_FIRST_MERGES
    # b) merging s and e lowers the counts of s and e: "se" replaces them in sea and see
    tokens = tokens_of(BPE.train(FIG_12_8_TEXT, 1), FIG_12_8_TEXT)
    assert tokens.count("se") == FIG_12_8_TEXT.count("se")
    assert tokens.count("s") == FIG_12_8_TEXT.count("s") - FIG_12_8_TEXT.count("se")


def test_the_book_example_matches_the_rule_applied_to_the_whole_text():
    ref_merges, ref_tokens = reference_bpe(FIG_12_8_TEXT, 10_000)
    bpe = BPE.train(FIG_12_8_TEXT, 10_000)
    assert list(bpe.merges) == ref_merges
    assert tokens_of(bpe, FIG_12_8_TEXT) == ref_tokens
    for n in (0, 1, 2, 10, 22, len(ref_merges)):
        assert tokens_of(BPE.train(FIG_12_8_TEXT, n), FIG_12_8_TEXT) == reference_bpe(FIG_12_8_TEXT, n)[1]


def test_merging_indefinitely_leaves_whole_words_and_the_token_count_rises_then_falls():
    words = FIG_12_8_TEXT.split()
    bpe = BPE.train(FIG_12_8_TEXT, 10_000)  # stops by itself when no pair is left
    # e) the tokens eventually represent the full words, each with its end-of-word whitespace
    assert tokens_of(bpe, FIG_12_8_TEXT) == [w + " " for w in words]
    # f) the number of tokens in use grows as fragments appear, then shrinks as they merge
    in_use = [len(set(BPE.train(FIG_12_8_TEXT, n).encode(FIG_12_8_TEXT))) for n in range(len(bpe.merges) + 1)]
    assert in_use[0] == len(set(FIG_12_8_TEXT))
    assert in_use[-1] == len(set(words))
    peak = in_use.index(max(in_use))
    assert in_use[0] < in_use[peak] and in_use[-1] < in_use[peak]


@pytest.mark.parametrize("n", [0, 1, 5, 22, 40])
def test_vocabulary_size_after_n_merges(n):
    bpe = BPE.train(FIG_12_8_TEXT, n)
    assert len(bpe.merges) == n
    merged = {left + right for left, right in bpe.merges}
    assert bpe.vocab_size == len(bpe.vocab) == len(set(FIG_12_8_TEXT)) + len(merged) + 256
    assert len(merged) == n  # this text never rebuilds a token two ways
    assert bpe.vocab[:len(bpe.alphabet)] == tuple(sorted(set(FIG_12_8_TEXT)))


def test_training_to_a_vocabulary_size_stops_there():
    target = len(set(FIG_12_8_TEXT)) + 256 + 15
    bpe = BPE.train(FIG_12_8_TEXT, vocab_size=target)
    assert bpe.vocab_size == target
    assert bpe.merges == BPE.train(FIG_12_8_TEXT, 15).merges


@settings(max_examples=60)
@given(st.text(alphabet="ab c\n", max_size=60), st.integers(0, 30))
def test_training_matches_the_whole_text_rule_on_random_text(text, n):
    ref_merges, ref_tokens = reference_bpe(text, n)
    bpe = BPE.train(text, n)
    assert list(bpe.merges) == ref_merges
    assert tokens_of(bpe, text) == ref_tokens  # encoding the training text replays training


@given(st.text(), st.text())
def test_decode_inverts_encode_for_any_text(train_text, text):
    bpe = BPE.train(train_text, 20)
    ids = bpe.encode(text)
    assert all(0 <= i < bpe.vocab_size for i in ids)
    assert bpe.decode(ids) == text


@given(st.text(alphabet=st.characters() | st.sampled_from(["\ud800", "\udfff", "é", "🎉"])))
def test_unseen_characters_round_trip_through_byte_tokens(text):
    bpe = BPE.train(FIG_12_8_TEXT, 30)
    assert bpe.decode(bpe.encode(text)) == text


def test_an_unseen_character_becomes_its_utf8_bytes():
    bpe = BPE.train(FIG_12_8_TEXT, 30)
    ids = bpe.encode("sé")
    assert [bpe.vocab[i] for i in ids] == ["s", b"\xc3", b"\xa9"]
    assert bpe.decode(ids) == "sé"


def test_a_restored_tokenizer_encodes_like_the_trained_one():
    text = "the theme then thee the other " * 3 + FIG_12_8_TEXT
    bpe = BPE.train(text, 25)
    restored = BPE(bpe.alphabet, bpe.merges)
    assert restored.vocab == bpe.vocab
    assert restored.encode(text) == bpe.encode(text)


def apply_in_order(text, merges):
    """Each merge once, in order, over the whole text as one sequence, left to right."""
    seq = list(text)
    for pair in merges:
        seq = merge_everywhere(seq, pair)
    return seq


@given(st.data())
def test_any_list_of_merges_is_replayed_in_order(data):
    # Hand-made merge lists may rebuild a token two ways or repeat a pair, which training on
    # the examples here never does; encoding must still replay the merges in their order.
    tokens = ["a", "b", " "]
    merges = []
    for _ in range(data.draw(st.integers(0, 12))):
        left = data.draw(st.sampled_from([t for t in tokens if not t[-1].isspace()]))
        right = data.draw(st.sampled_from(tokens))
        merges.append((left, right))
        if left + right not in tokens:
            tokens.append(left + right)
    text = data.draw(st.text(alphabet="ab \u00e9", max_size=40))
    bpe = BPE(["a", "b", " "], merges)
    assert [t for t in tokens_of(bpe, text) if isinstance(t, str)] == [t for t in apply_in_order(text, merges)
                                                                       if t != "\u00e9"]
    assert bpe.decode(bpe.encode(text)) == text


def test_bad_arguments_get_clear_errors():
    with pytest.raises(TypeError, match="exactly one of num_merges and vocab_size"):
        BPE.train("abc")
    with pytest.raises(TypeError, match="exactly one of num_merges and vocab_size"):
        BPE.train("abc", 3, vocab_size=300)
    with pytest.raises(ValueError, match="vocab_size >= 259"):
        BPE.train("abc", vocab_size=100)
    with pytest.raises(ValueError, match="num_merges must be >= 0"):
        BPE.train("abc", -1)
    with pytest.raises(TypeError, match="text must be a str"):
        BPE.train(b"abc", 3)
    with pytest.raises(ValueError, match="neither an alphabet character nor the result of an earlier merge"):
        BPE("ab", [("ab", "b")])
    with pytest.raises(ValueError, match="may not cross words"):
        BPE("a b", [("a", " "), ("a ", "b")])
    with pytest.raises(ValueError, match="one-character string"):
        BPE(["ab"])
    with pytest.raises(ValueError, match="must be a pair of token strings"):
        BPE("ab", [("a", "b", "c")])
    bpe = BPE.train(FIG_12_8_TEXT, 5)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        bpe.decode([bpe.vocab_size])
    with pytest.raises(ValueError, match="not valid UTF-8"):
        bpe.decode([bpe.vocab.index(b"\x80")])
    with pytest.raises(TypeError, match="ids must be ints"):
        bpe.decode([1.5])
