"""getitem's VJP, `ArrayMath.scatter_add`: rows picked by one integer array take a flat fast path,
which must add in numpy's own order -- bit for bit `np.add.at` on the rows (the reference here)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_udl.autograd.backends import ArrayMath


@st.composite
def row_picks(draw):
    """(g, index, shape): an input of shape (n, *rest), an integer index array with repeats and
    negative entries, and a gradient of the picked shape."""
    n = draw(st.integers(1, 6))
    rest = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    index = draw(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8),
                            elements=st.integers(-n, n - 1)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    g = draw(hnp.arrays(dtype, index.shape + rest, elements=st.floats(-1e3, 1e3, width=32)))
    return g, index, (n,) + rest


@settings(max_examples=60, deadline=None)
@given(row_picks())
def test_rows_picked_by_an_integer_array_sum_as_numpy_add_at(case):
    g, index, shape = case
    expected = np.zeros(shape, g.dtype)
    np.add.at(expected, index, g)
    got = ArrayMath.scatter_add(g, index, shape)
    assert got.dtype == g.dtype and got.shape == shape
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))   # bit for bit, signed zeros too


def test_repeated_rows_accumulate_in_order():
    """Three picks of row 1 in float32, where the order of the additions changes the sum."""
    g = np.array([[1e8], [1.0], [-1e8]], np.float32)
    got = ArrayMath.scatter_add(g, np.array([1, 1, 1]), (2, 1))
    assert got[1, 0] == (np.float32(1e8) + np.float32(1.0)) + np.float32(-1e8) and got[0, 0] == 0
