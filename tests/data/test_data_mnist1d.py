"""MNIST-1D loader: sizes, balance, caching, agreement with the reference generator, errors."""
import dataclasses
import random
import sys

import numpy as np
import pytest

import mnist1d.data
from tinygrad_udl.data import MNIST1D, load_mnist1d


@pytest.fixture(scope="module")
def book_set():
    """The default (figs. 8.1-8.2) set, generated once for this module."""
    return load_mnist1d()


def test_default_shapes_and_dtypes(book_set):
    assert isinstance(book_set, MNIST1D)
    assert book_set.x_train.shape == (4000, 40) and book_set.x_train.dtype == np.float32
    assert book_set.y_train.shape == (4000,) and book_set.y_train.dtype == np.int64
    assert book_set.x_test.shape == (1000, 40) and book_set.x_test.dtype == np.float32
    assert book_set.y_test.shape == (1000,) and book_set.y_test.dtype == np.int64
    assert book_set.t.shape == (40,)
    assert book_set.num_classes == 10


def test_ten_roughly_balanced_classes(book_set):
    train = np.bincount(book_set.y_train, minlength=10)
    test = np.bincount(book_set.y_test, minlength=10)
    assert len(train) == len(test) == 10  # no label outside 0..9
    # The generator makes exactly 500 per class; the shuffle spreads them over the split.
    np.testing.assert_array_equal(train + test, np.full(10, 500))
    assert train.min() >= 350 and train.max() <= 450
    assert test.min() >= 60 and test.max() <= 140


def test_globally_standardized(book_set):
    everything = np.concatenate([book_set.x_train, book_set.x_test]).astype(np.float64)
    assert abs(everything.mean()) < 1e-4
    assert abs(everything.std() - 1.0) < 1e-4


def test_arrays_are_read_only_and_fields_frozen(book_set):
    with pytest.raises(ValueError):
        book_set.x_train[0, 0] = 1.0
    with pytest.raises(ValueError):
        book_set.y_test[0] = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        book_set.x_train = np.zeros((4000, 40), np.float32)


def test_second_call_reuses_the_cached_arrays(book_set):
    again = load_mnist1d()
    assert np.shares_memory(again.x_train, book_set.x_train)
    np.testing.assert_array_equal(again.x_train, book_set.x_train)
    np.testing.assert_array_equal(again.y_test, book_set.y_test)


def test_cache_does_not_call_the_generator_again(monkeypatch):
    calls = []
    real = mnist1d.data.make_dataset

    def counting(args):
        calls.append(args.seed)
        return real(args)

    monkeypatch.setattr(mnist1d.data, "make_dataset", counting)
    first = load_mnist1d(seed=7, num_samples=100)
    second = load_mnist1d(seed=7, num_samples=100)
    other_split = load_mnist1d(seed=7, num_samples=100, train_split=0.5)
    assert calls == [7]
    np.testing.assert_array_equal(first.x_train, second.x_train)
    assert other_split.x_train.shape == (50, 40)


def test_matches_the_reference_generator():
    ours = load_mnist1d(seed=3, num_samples=200, train_split=0.5)
    args = mnist1d.data.get_dataset_args()
    args.seed, args.num_samples, args.train_split = 3, 200, 0.5
    ref = mnist1d.data.make_dataset(args)
    np.testing.assert_array_equal(ours.x_train, ref["x"].astype(np.float32))
    np.testing.assert_array_equal(ours.x_test, ref["x_test"].astype(np.float32))
    np.testing.assert_array_equal(ours.y_train, ref["y"])
    np.testing.assert_array_equal(ours.y_test, ref["y_test"])
    np.testing.assert_allclose(ours.t, ref["t"], rtol=1e-6)


def test_split_cuts_the_same_shuffled_order():
    half = load_mnist1d(seed=3, num_samples=200, train_split=0.5)
    small = load_mnist1d(seed=3, num_samples=200, train_split=0.3)
    assert small.x_train.shape == (60, 40) and small.x_test.shape == (140, 40)
    np.testing.assert_array_equal(np.concatenate([half.x_train, half.x_test]),
                                  np.concatenate([small.x_train, small.x_test]))
    np.testing.assert_array_equal(np.concatenate([half.y_train, half.y_test]),
                                  np.concatenate([small.y_train, small.y_test]))


def test_other_seed_gives_other_data():
    a = load_mnist1d(seed=3, num_samples=200, train_split=0.5)
    b = load_mnist1d(seed=4, num_samples=200, train_split=0.5)
    assert not np.allclose(a.x_train, b.x_train)


def test_global_random_state_is_left_alone():
    np.random.seed(1234)
    random.seed(1234)
    np_before, py_before = np.random.get_state(), random.getstate()
    load_mnist1d(seed=11, num_samples=100)  # not cached yet: the generator runs
    np_after = np.random.get_state()
    np.testing.assert_array_equal(np_after[1], np_before[1])
    assert np_after[2] == np_before[2]
    assert random.getstate() == py_before


@pytest.mark.parametrize("kwargs, error", [
    ({"num_samples": 105}, ValueError),
    ({"num_samples": 0}, ValueError),
    ({"num_samples": 100.0}, TypeError),
    ({"train_split": 1.0}, ValueError),
    ({"train_split": 0.0}, ValueError),
    ({"num_samples": 100, "train_split": 0.001}, ValueError),
    ({"seed": -1}, ValueError),
    ({"seed": 2**32}, ValueError),
    ({"seed": 1.5}, TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error, match="load_mnist1d"):
        load_mnist1d(**kwargs)


def test_generator_failure_is_wrapped(monkeypatch):
    def broken(args):
        raise IndexError("boom")

    monkeypatch.setattr(mnist1d.data, "make_dataset", broken)
    with pytest.raises(RuntimeError, match=r"mnist1d generator failed.*seed=13.*boom"):
        load_mnist1d(seed=13, num_samples=100)


def test_missing_package_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install mnist1d"):
        load_mnist1d(seed=14, num_samples=100)
