"""MNIST-1D (Greydanus, 2020), the data set of the book's MNIST-1D experiments.

The book uses it in figs. 8.1-8.2 (4,000 train / 1,000 test, the defaults here), fig. 8.10
(10,000 / 5,000), fig. 9.5 (4,000 / 4,000), fig. 10.8 and fig. 20.2 (4,000 training examples).
The examples are generated locally with the reference `mnist1d` package's own generator
(`make_dataset`): nothing is downloaded and no pickle is read.

The generator draws `num_samples // 10` examples per class from ten 12-point templates (padding,
scaling, circular shift, correlated and iid noise, shear, resampling to 40 points; see docs/data.md and the book's
chapter 8), shuffles them and standardizes the whole set with one global mean and standard
deviation. The train/test split is the shuffled order cut in two.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np

from ..checks import check_int

NUM_CLASSES = 10


@dataclass(frozen=True)
class MNIST1D:
    """One generated MNIST-1D data set. All arrays are **read-only**: they share memory with the
    in-memory cache, and writing to them would silently change every later `load_mnist1d` result.

    Attributes:
        x_train: (N_train, 40) float32 signals.
        y_train: (N_train,) int64 labels in 0..9.
        x_test: (N_test, 40) float32 signals.
        y_test: (N_test,) int64 labels in 0..9.
        t: (40,) float32 sample positions, for plotting a signal against (the reference package
            plots `x` horizontally against `t`).

    To change an array in place, copy it first: `x = data.x_train.copy()`.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    t: np.ndarray

    @property
    def num_classes(self) -> int:
        return NUM_CLASSES


def load_mnist1d(seed: int = 42, num_samples: int = 5000, train_split: float = 0.8) -> MNIST1D:
    """Generate MNIST-1D with the reference generator (book, section 8.1 and fig. 8.1).

    The defaults give the set of figs. 8.1-8.2: 4,000 training and 1,000 test examples, about
    400 and 100 per class. Other sets of the book:
    `load_mnist1d(num_samples=15000, train_split=2/3)` (fig. 8.10, 10,000 / 5,000) and
    `load_mnist1d(num_samples=8000, train_split=0.5)` (fig. 9.5, 4,000 / 4,000).

    Args:
        seed: seed of the generator (the reference default is 42).
        num_samples: total number of examples, a positive multiple of 10 (the generator makes
            `num_samples // 10` per class).
        train_split: fraction of the examples in the training set: the first
            `round(num_samples * train_split)` examples of the shuffled set. (The reference
            package truncates with `int()` instead, which can lose an example to rounding error;
            the two agree for the book's splits.)

    Returns:
        An `MNIST1D` with read-only arrays. The generated examples are cached in memory per
        `(seed, num_samples)`, so later calls (with any `train_split`) do not regenerate;
        generation takes about a second for 5,000 examples.

    The reference generator seeds numpy's and Python's *global* random state; this function
    restores both afterwards, so loading data never changes the caller's global random streams.
    """
    where = "load_mnist1d"
    seed = check_int(seed, "seed", where, minimum=0)
    if seed >= 2**32:
        raise ValueError(f"{where}: seed must be < 2**32 (numpy's legacy seeding), got {seed}")
    num_samples = check_int(num_samples, "num_samples", where, minimum=NUM_CLASSES)
    if num_samples % NUM_CLASSES:
        raise ValueError(
            f"{where}: num_samples must be a multiple of {NUM_CLASSES} (the generator makes "
            f"num_samples // {NUM_CLASSES} examples per class), got {num_samples}"
        )
    train_split = float(train_split)
    if not 0 < train_split < 1:
        raise ValueError(
            f"{where}: train_split must be between 0 and 1 (exclusive), got {train_split}"
        )
    n_train = round(num_samples * train_split)
    if not 0 < n_train < num_samples:
        raise ValueError(
            f"{where}: train_split={train_split} leaves an empty train or test set for "
            f"num_samples={num_samples}; use more samples or a split nearer 0.5"
        )
    x, y, t = _generate(seed, num_samples)
    # Slices of read-only arrays are read-only views: no copy, and the cache stays protected.
    return MNIST1D(x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:],
                   y_test=y[n_train:], t=t)


@functools.lru_cache(maxsize=8)
def _generate(seed: int, num_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All `num_samples` examples in the generator's shuffled order, as read-only arrays."""
    try:
        # Imported here: `mnist1d` pulls in matplotlib (~0.7 s), which most users of this package
        # never need.
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise ImportError(
            "load_mnist1d needs the `mnist1d` package to generate the data set; install it with "
            "`pip install mnist1d` (it is a dependency of tinygrad_udl)"
        ) from exc

    args = get_dataset_args()
    args.seed = seed
    args.num_samples = num_samples
    args.train_split = 1.0  # everything in "x"; load_mnist1d makes the split itself

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    except Exception as exc:
        raise RuntimeError(
            f"load_mnist1d: the mnist1d generator failed for seed={seed}, "
            f"num_samples={num_samples}: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)

    return (_frozen(data["x"], np.float32), _frozen(data["y"], np.int64),
            _frozen(data["t"], np.float32))


def _frozen(array, dtype) -> np.ndarray:
    """A read-only copy in `dtype`, so no caller can corrupt the cached data set."""
    out = np.array(array, dtype=dtype)
    out.flags.writeable = False
    return out
