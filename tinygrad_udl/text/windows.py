"""From one long token stream to training examples for next-token prediction (section 12.7.1).

A decoder is trained on windows of N tokens; its target at every position is the token that
follows (fig. 12.12), so the target window is the input window shifted by one. The stream is
split into train and test parts *before* cutting windows: windows that overlap (stride < N)
would otherwise share tokens across the split and leak test text into training.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_int
from ._ids import as_token_ids


def next_token_windows(tokens, context_length: int, *, stride: int | None = None):
    """(inputs, targets), int64 arrays of shape (num_windows, context_length), with targets[:, i]
    the token after inputs[:, i].

    Window j starts at token j * stride; the default stride is `context_length` (windows that do
    not overlap). Tokens at the end that do not fill a window are dropped.
    """
    where = "next_token_windows"
    tokens = as_token_ids(tokens, where)
    context_length = check_int(context_length, "context_length", where, minimum=1)
    stride = context_length if stride is None else check_int(stride, "stride", where, minimum=1)
    if len(tokens) < context_length + 1:
        raise ValueError(f"{where}: a window of {context_length} inputs needs {context_length + 1} tokens "
                         f"(inputs and shifted targets), the stream has {len(tokens)}")
    spans = np.lib.stride_tricks.sliding_window_view(tokens, context_length + 1)[::stride]
    return spans[:, :-1].copy(), spans[:, 1:].copy()


def split_stream(tokens, test_fraction: float = 0.1):
    """(train, test): the stream's first part and its last `test_fraction`, cut at one point."""
    where = "split_stream"
    tokens = as_token_ids(tokens, where)
    test_fraction = float(test_fraction)
    if not 0 < test_fraction < 1:
        raise ValueError(f"{where}: test_fraction must be between 0 and 1 (exclusive), got {test_fraction}")
    n_test = round(len(tokens) * test_fraction)
    if not 0 < n_test < len(tokens):
        raise ValueError(f"{where}: test_fraction={test_fraction} of {len(tokens)} tokens leaves an empty part; "
                         f"use a longer stream or a fraction nearer 0.5")
    return tokens[:-n_test].copy(), tokens[-n_test:].copy()
