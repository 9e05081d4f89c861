"""DataLoader, train/test and train/validation splits, K-fold indices."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.data import DataLoader, k_fold, train_test_split, train_val_split


@given(n=st.integers(1, 200), batch_size=st.integers(1, 60), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_every_example_once_per_epoch(n, batch_size, drop_last, shuffle, seed):
    x = np.arange(n)
    if drop_last and batch_size > n:
        with pytest.raises(ValueError, match="drop_last"):
            DataLoader(x, batch_size=batch_size, drop_last=True)
        return
    loader = DataLoader(x, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, rng=seed)
    expected_batches = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected_batches
    for _ in range(2):  # two epochs
        batches = list(loader)
        assert len(batches) == expected_batches
        sizes = [len(b) for b in batches]
        assert all(s == batch_size for s in sizes[:-1])
        seen = np.concatenate(batches)
        assert len(np.unique(seen)) == len(seen)  # nothing twice
        if drop_last:
            assert sizes[-1] == batch_size and len(seen) == n - n % batch_size
        else:
            np.testing.assert_array_equal(np.sort(seen), x)
        if not shuffle:
            np.testing.assert_array_equal(seen, x[:len(seen)])


def test_several_arrays_stay_aligned():
    n = 53
    x = np.arange(n)
    y = 10 * np.arange(n)
    z = np.arange(3 * n).reshape(n, 3)
    for xb, yb, zb in DataLoader(x, y, z, batch_size=8, shuffle=True, rng=0):
        np.testing.assert_array_equal(yb, 10 * xb)
        np.testing.assert_array_equal(zb, z[xb])


def test_one_array_gives_arrays_several_give_tuples():
    x = np.zeros((5, 2))
    assert isinstance(next(iter(DataLoader(x, batch_size=2))), np.ndarray)
    batch = next(iter(DataLoader(x, np.ones(5), batch_size=2)))
    assert isinstance(batch, tuple) and len(batch) == 2


def test_shuffling_is_reproducible_and_changes_between_epochs():
    x = np.arange(100)

    def epochs(seed):
        loader = DataLoader(x, batch_size=10, shuffle=True, rng=seed)
        return [np.concatenate(list(loader)) for _ in range(3)]

    first, again, other = epochs(3), epochs(3), epochs(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[1], first[2])
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], x)


def test_shared_generator_is_consumed():
    gen = np.random.default_rng(0)
    a = np.concatenate(list(DataLoader(np.arange(50), batch_size=7, shuffle=True, rng=gen)))
    b = np.concatenate(list(DataLoader(np.arange(50), batch_size=7, shuffle=True, rng=gen)))
    assert not np.array_equal(a, b)


def test_batches_are_writable_copies():
    x = np.arange(10.0)
    x.flags.writeable = False
    for shuffle in (False, True):
        batch = next(iter(DataLoader(x, batch_size=4, shuffle=shuffle, rng=0)))
        batch[:] = -1.0
        np.testing.assert_array_equal(x, np.arange(10.0))


@pytest.mark.parametrize("call, error, message", [
    (lambda: DataLoader(np.zeros(5), np.zeros(4), batch_size=2), ValueError, r"\[5, 4\]"),
    (lambda: DataLoader(np.zeros(5), batch_size=0), ValueError, "batch_size"),
    (lambda: DataLoader(np.zeros(5), batch_size=2.0), TypeError, "batch_size"),
    (lambda: DataLoader(batch_size=2), TypeError, "at least one array"),
    (lambda: DataLoader(np.float64(1.0), batch_size=1), ValueError, "scalar"),
    (lambda: DataLoader(np.zeros((0, 3)), batch_size=1), ValueError, "empty"),
    (lambda: DataLoader(np.zeros(5), batch_size=2, shuffle=True, rng="x"), TypeError, "rng"),
])
def test_loader_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(n=st.integers(2, 300), fraction=st.floats(0.01, 0.99), seed=st.integers(0, 1000),
       shuffle=st.booleans())
@settings(max_examples=100, deadline=None)
def test_split_partitions_the_examples(n, fraction, seed, shuffle):
    x = np.arange(n)
    y = -np.arange(n)
    n_test = round(n * fraction)
    if not 0 < n_test < n:
        with pytest.raises(ValueError, match="empty part"):
            train_test_split(x, y, test_fraction=fraction, rng=seed)
        return
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_fraction=fraction, rng=seed,
                                                        shuffle=shuffle)
    assert len(x_test) == n_test and len(x_train) == n - n_test
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_test])), x)
    np.testing.assert_array_equal(y_train, -x_train)
    np.testing.assert_array_equal(y_test, -x_test)
    if not shuffle:
        np.testing.assert_array_equal(x_test, x[n - n_test:])


def test_split_is_reproducible():
    x = np.arange(100)
    a_train, a_val = train_val_split(x, rng=1)
    b_train, b_val = train_val_split(x, rng=1)
    _, c_val = train_val_split(x, rng=2)
    assert len(a_val) == 10  # the 10% default
    np.testing.assert_array_equal(a_val, b_val)
    np.testing.assert_array_equal(a_train, b_train)
    assert not np.array_equal(a_val, c_val)
    assert len(train_test_split(x)[1]) == 20  # the 20% default


@pytest.mark.parametrize("call, message", [
    (lambda: train_test_split(np.arange(10), test_fraction=0.0), "test_fraction"),
    (lambda: train_val_split(np.arange(10), val_fraction=1.0), "val_fraction"),
    (lambda: train_val_split(np.arange(10), np.arange(9)), "same number"),
])
def test_split_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@given(n=st.integers(2, 200), k=st.integers(2, 20), seed=st.integers(0, 1000),
       shuffle=st.booleans())
@settings(max_examples=100, deadline=None)
def test_k_fold_partitions(n, k, seed, shuffle):
    if k > n:
        with pytest.raises(ValueError, match="k_fold"):
            k_fold(n, k, rng=seed)
        return
    folds = k_fold(n, k, rng=seed, shuffle=shuffle)
    assert len(folds) == k
    vals = [val for _, val in folds]
    np.testing.assert_array_equal(np.sort(np.concatenate(vals)), np.arange(n))
    sizes = [len(v) for v in vals]
    assert max(sizes) - min(sizes) <= 1
    for train, val in folds:
        assert len(np.intersect1d(train, val)) == 0
        np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(n))
