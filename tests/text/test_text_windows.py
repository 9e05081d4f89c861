"""Next-token windows (fig. 12.12) and the contiguous train/test split of a token stream."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_udl.text import next_token_windows, split_stream


@given(st.integers(2, 200), st.integers(1, 20), st.integers(1, 25))
def test_targets_are_the_inputs_shifted_by_one(n, context_length, stride):
    stream = np.arange(n) * 7 % 13
    if n < context_length + 1:
        with pytest.raises(ValueError, match="needs"):
            next_token_windows(stream, context_length, stride=stride)
        return
    inputs, targets = next_token_windows(stream, context_length, stride=stride)
    expected_count = (n - context_length - 1) // stride + 1
    assert inputs.shape == targets.shape == (expected_count, context_length)
    assert inputs.dtype == targets.dtype == np.int64
    for j in range(expected_count):
        start = j * stride
        assert np.array_equal(inputs[j], stream[start:start + context_length])
        assert np.array_equal(targets[j], stream[start + 1:start + context_length + 1])


def test_default_windows_do_not_overlap_and_are_writable():
    inputs, targets = next_token_windows(np.arange(11), 5)
    assert inputs.tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert targets.tolist() == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    inputs[0, 0] = 99  # a copy, not a view of the stream
    assert targets[0, 0] == 1


def test_split_stream_cuts_once_keeping_order():
    stream = np.arange(100)
    train, test = split_stream(stream, 0.2)
    assert train.tolist() == list(range(80)) and test.tolist() == list(range(80, 100))


def test_bad_streams_get_clear_errors():
    with pytest.raises(TypeError, match="1-D sequence of int"):
        next_token_windows(np.ones((2, 3), dtype=int), 2)
    with pytest.raises(TypeError, match="1-D sequence of int"):
        split_stream([0.5, 1.5])
    with pytest.raises(ValueError, match="context_length must be >= 1"):
        next_token_windows(np.arange(5), 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_stream(np.arange(10), 1.0)
    with pytest.raises(ValueError, match="leaves an empty part"):
        split_stream(np.arange(3), 0.01)
