"""Mini-batches and data splits over numpy arrays.

SGD (eq. 6.10) draws batches *without replacement*; one pass through the data is an epoch
(section 6.2). `DataLoader` does exactly that, with a fresh seeded permutation for every epoch.
`train_test_split`, `train_val_split` and `k_fold` make the splits of section 8.5 (model
selection with validation data and K-fold cross-validation).
"""
from __future__ import annotations

import numpy as np

from ..checks import as_generator, check_int


class DataLoader:
    """Iterate over mini-batches of one or more arrays that share their first dimension.

    Args:
        *arrays: the data, e.g. `DataLoader(x, y, batch_size=100)`; all arrays need the same
            length along axis 0 (the example axis).
        batch_size: examples per batch (>= 1). The last batch is smaller when the batch size
            does not divide the number of examples, unless `drop_last` is set.
        shuffle: draw a new random order of the examples at every epoch (every `iter()`).
        drop_last: skip the final incomplete batch.
        rng: a numpy Generator or an int seed for the shuffling; the same seed gives the same
            sequence of epochs. A Generator passed in is shared (its stream is consumed).
            `None` uses the library generator (`tinygrad_udl.manual_seed`).

    Iterating yields one array per batch when the loader has one array, else a tuple of arrays
    in the order given. Batches are always new arrays (gathered with an index array), so
    changing a batch in place never changes the data, and read-only data give writable batches.
    `len(loader)` is the number of batches per epoch.
    """

    def __init__(self, *arrays, batch_size: int, shuffle: bool = False, drop_last: bool = False,
                 rng=None):
        self.arrays = _check_arrays(arrays, "DataLoader")
        self.num_examples = len(self.arrays[0])
        self.batch_size = check_int(batch_size, "batch_size", "DataLoader", minimum=1)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if self.drop_last and self.batch_size > self.num_examples:
            raise ValueError(
                f"DataLoader: drop_last=True with batch_size={self.batch_size} larger than the "
                f"{self.num_examples} examples would give no batches; lower batch_size or set "
                f"drop_last=False"
            )
        self._rng = as_generator(rng, "DataLoader")

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_examples // self.batch_size
        return -(-self.num_examples // self.batch_size)  # ceiling division

    def __iter__(self):
        order = (self._rng.permutation(self.num_examples) if self.shuffle
                 else np.arange(self.num_examples))
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            batch = tuple(a[idx] for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch


def train_test_split(*arrays, test_fraction: float = 0.2, rng=0, shuffle: bool = True):
    """Split arrays into a training and a test part (section 8.5).

    Args:
        *arrays: arrays with the same first dimension, split consistently.
        test_fraction: fraction of the examples in the test part, rounded to the nearest count;
            both parts must be non-empty.
        rng: Generator or int seed for the shuffling (default 0, so a split is reproducible).
        shuffle: if False, the last examples form the test part (e.g. for ordered data).

    Returns:
        `a_train, a_test, b_train, b_test, ...`: two new arrays per input array, in order (the
        convention of scikit-learn's function of the same name).
    """
    return _split(arrays, test_fraction, "test_fraction", rng, shuffle, "train_test_split")


def train_val_split(*arrays, val_fraction: float = 0.1, rng=0, shuffle: bool = True):
    """Hold out validation data from a training set (section 8.5; early stopping, section 9.3.1).

    The same as `train_test_split` with a default of 10% held out; returns
    `a_train, a_val, b_train, b_val, ...`.
    """
    return _split(arrays, val_fraction, "val_fraction", rng, shuffle, "train_val_split")


def k_fold(num_examples: int, k: int, *, rng=0, shuffle: bool = True):
    """Index sets for K-fold cross-validation (section 8.5).

    The examples are divided into `k` folds of near-equal size (sizes differ by at most one);
    each fold in turn is the validation set and the others are the training set.

    Returns:
        A list of `k` pairs `(train_idx, val_idx)` of index arrays; the validation folds
        partition `range(num_examples)`.
    """
    where = "k_fold"
    num_examples = check_int(num_examples, "num_examples", where, minimum=2)
    k = check_int(k, "k", where, minimum=2)
    if k > num_examples:
        raise ValueError(f"{where}: k={k} folds need at least k examples, got {num_examples}")
    order = (as_generator(rng, where).permutation(num_examples) if shuffle
             else np.arange(num_examples))
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), val) for i, val in enumerate(folds)]


def _split(arrays, fraction, name, rng, shuffle, where):
    arrays = _check_arrays(arrays, where)
    n = len(arrays[0])
    fraction = float(fraction)
    if not 0 < fraction < 1:
        raise ValueError(f"{where}: {name} must be between 0 and 1 (exclusive), got {fraction}")
    n_held = round(n * fraction)
    if not 0 < n_held < n:
        raise ValueError(
            f"{where}: {name}={fraction} of {n} examples leaves an empty part; "
            f"use more examples or a fraction nearer 0.5"
        )
    order = as_generator(rng, where).permutation(n) if shuffle else np.arange(n)
    keep, held = order[:n - n_held], order[n - n_held:]
    return [part for a in arrays for part in (a[keep], a[held])]


def _check_arrays(arrays, where):
    if not arrays:
        raise TypeError(f"{where}: pass at least one array, e.g. {where}(x, y, ...)")
    arrays = tuple(np.asarray(a) for a in arrays)
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(
                f"{where}: array {i} is a scalar; every array needs an example axis 0 "
                f"(options such as batch_size are keyword-only)"
            )
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"{where}: all arrays need the same number of examples (length of axis 0), got "
            f"lengths {lengths}"
        )
    if lengths[0] == 0:
        raise ValueError(f"{where}: the arrays are empty (0 examples)")
    return arrays
