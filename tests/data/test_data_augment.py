"""1-D augmentation: shapes, exact no-ops at strength 0, the transformations themselves, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.data import add_noise, augment_1d, random_scale, random_shift


def signals(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def zero_shift_reference(row, s):
    """Shift a 1-D signal by s with zero fill, written independently of the library."""
    out = np.zeros_like(row)
    if s >= 0:
        out[s:] = row[:len(row) - s]
    else:
        out[:s] = row[-s:]
    return out


def shifts_found(x, out, max_shift, shift):
    """For each example, the shifts s in [-max_shift, max_shift] with shift(x_i, s) == out_i."""
    return [[s for s in range(-max_shift, max_shift + 1) if np.array_equal(shift(xi, s), oi)]
            for xi, oi in zip(x, out)]


def roll(xi, s):
    return np.roll(xi, s, axis=-1)


def test_shapes_and_dtypes_are_preserved():
    rng = np.random.default_rng(0)
    for shape in [(7, 40), (5, 3, 40)]:
        for dtype in (np.float32, np.float64):
            x = signals(shape, dtype=dtype)
            for out in (random_shift(x, 3, rng), random_shift(x, 3, rng, mode="zero"),
                        random_scale(x, 0.2, rng), add_noise(x, 0.1, rng),
                        augment_1d(x, rng, max_shift=3, scale=0.2, noise_std=0.1)):
                assert out.shape == x.shape and out.dtype == x.dtype


def test_zero_strength_is_an_exact_copy():
    rng = np.random.default_rng(0)
    x = signals((20, 40))
    for out in (random_shift(x, 0, rng), random_shift(x, 0, rng, mode="zero"),
                random_scale(x, 0.0, rng), add_noise(x, 0.0, rng), augment_1d(x, rng)):
        np.testing.assert_array_equal(out, x)
        assert not np.shares_memory(out, x)


def test_input_is_not_modified():
    rng = np.random.default_rng(0)
    x = signals((20, 40))
    before = x.copy()
    augment_1d(x, rng, max_shift=5, shift_mode="zero", scale=0.3, noise_std=0.5)
    np.testing.assert_array_equal(x, before)


def test_circular_shift_is_a_roll_within_range():
    x = signals((300, 40))
    out = random_shift(x, 5, np.random.default_rng(1))
    found = shifts_found(x, out, 5, roll)
    assert all(len(f) == 1 for f in found)
    drawn = {f[0] for f in found}
    assert drawn == set(range(-5, 6))  # every shift occurs in 300 draws, so they differ per example


def test_zero_shift_fills_with_zeros():
    x = signals((300, 40))
    out = random_shift(x, 4, np.random.default_rng(2), mode="zero")
    found = shifts_found(x, out, 4, zero_shift_reference)
    assert all(len(f) == 1 for f in found)
    assert {f[0] for f in found} == set(range(-4, 5))


def test_channels_of_one_example_shift_together():
    x = signals((50, 3, 40))
    out = random_shift(x, 6, np.random.default_rng(3))
    for xi, oi in zip(x, out):
        assert any(np.array_equal(np.roll(xi, s, axis=-1), oi) for s in range(-6, 7))


@given(n=st.integers(1, 20), length=st.integers(1, 50), max_shift=st.integers(0, 60),
       seed=st.integers(0, 1000))
@settings(max_examples=100, deadline=None)
def test_shift_properties(n, length, max_shift, seed):
    x = signals((n, length), seed=seed) + 10.0  # no zeros in the input
    circular = random_shift(x, max_shift, np.random.default_rng(seed))
    np.testing.assert_array_equal(np.sort(circular, axis=1), np.sort(x, axis=1))
    zero = random_shift(x, max_shift, np.random.default_rng(seed), mode="zero")
    for xi, zi in zip(x, zero):
        kept = zi[zi != 0]
        # The surviving samples are one contiguous piece of the signal, in order.
        assert any(np.array_equal(kept, xi[a:a + len(kept)]) for a in range(length - len(kept) + 1))


def test_scale_multiplies_each_example_by_one_factor_in_range():
    x = signals((2000, 40), dtype=np.float64)
    out = random_scale(x, 0.25, np.random.default_rng(4))
    ratios = out / x
    factors = ratios[:, 0]
    np.testing.assert_allclose(ratios, np.repeat(factors[:, None], 40, axis=1), rtol=1e-12)
    assert factors.min() >= 0.75 and factors.max() <= 1.25
    assert factors.min() < 0.76 and factors.max() > 1.24  # the whole range is used


def test_noise_has_the_requested_level():
    x = signals((500, 200), dtype=np.float64)
    residual = add_noise(x, 0.3, np.random.default_rng(5)) - x
    assert abs(residual.mean()) < 0.005
    assert abs(residual.std() - 0.3) < 0.005


def test_same_generator_seed_same_result_other_seed_other_result():
    x = signals((30, 40))

    def run(seed):
        return augment_1d(x, np.random.default_rng(seed), max_shift=4, scale=0.2, noise_std=0.1)

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


@pytest.mark.parametrize("call, error, message", [
    (lambda x, g: random_shift(x, 2, 0), TypeError, "Generator"),
    (lambda x, g: add_noise(x, 0.1, 42), TypeError, "Generator"),
    (lambda x, g: random_shift(x[0], 2, g), ValueError, "x\\[None\\]"),
    (lambda x, g: random_shift(x, -1, g), ValueError, "max_shift"),
    (lambda x, g: random_shift(x, 1.5, g), TypeError, "max_shift"),
    (lambda x, g: random_shift(x, 2, g, mode="reflect"), ValueError, "mode"),
    (lambda x, g: random_scale(x.astype(np.int64), 0.1, g), TypeError, "floating"),
    (lambda x, g: random_scale(x, -0.1, g), ValueError, "strength"),
    (lambda x, g: random_scale(x, 1.5, g), ValueError, "strength"),
    (lambda x, g: add_noise(x, -1.0, g), ValueError, "std"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(signals((4, 10)), np.random.default_rng(0))
