"""The one check for token-id arguments shared by the text modules."""
from __future__ import annotations

import numpy as np


def as_token_ids(tokens, where: str, vocab_size: int | None = None) -> np.ndarray:
    """`tokens` as a 1-D int64 array, optionally checked to lie in 0..vocab_size-1."""
    arr = np.asarray(tokens)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{where}: tokens must be a 1-D sequence of int token ids, "
                        f"got {arr.dtype} of shape {arr.shape}")
    arr = arr.astype(np.int64)
    if vocab_size is not None and arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        raise ValueError(f"{where}: token ids must lie in 0..{vocab_size - 1}, "
                         f"got values in {arr.min()}..{arr.max()}")
    return arr
