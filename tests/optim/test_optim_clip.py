"""Gradient clipping against numpy: the global norm, PyTorch's scale max_norm/(‖g‖ + 1e-6), and
the read-only gradients left untouched."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from optim_testing import param, set_grad

from tinygrad_udl import Tensor
from tinygrad_udl.optim import clip_grad_norm_, clip_grad_value_

grad_lists = st.lists(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                                 elements=st.floats(-100, 100, allow_subnormal=False)), min_size=1, max_size=4)


def with_grads(grads, dtype=np.float64):
    params = []
    for g in grads:
        p = param(np.zeros(np.shape(g)), dtype=dtype)
        set_grad(p, g)
        params.append(p)
    return params


@given(grads=grad_lists, max_norm=st.floats(0.0, 200.0), norm_type=st.sampled_from([1.0, 2.0, 3.0, np.inf]))
@settings(max_examples=60, deadline=None)
def test_clip_grad_norm_matches_numpy(grads, max_norm, norm_type):
    params = with_grads(grads)
    originals = [p.grad for p in params]
    flat = np.concatenate([np.ravel(g) for g in grads])
    expected_norm = np.abs(flat).max() if norm_type == np.inf else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(total, expected_norm, rtol=1e-12)
    scale = min(1.0, max_norm / (expected_norm + 1e-6))
    for p, g, original in zip(params, grads, originals):
        np.testing.assert_allclose(p.grad.data, g * scale, rtol=1e-12, atol=1e-300)
        np.testing.assert_array_equal(original.data, g)  # the old gradient array is not modified
        assert not p.grad.data.flags.writeable


def test_clipped_gradient_has_norm_max_norm_and_same_direction():
    params = with_grads([np.array([3.0, 4.0]), np.array([[12.0]])])  # global norm 13
    total = clip_grad_norm_(params, 1.3)
    assert total == pytest.approx(13.0)
    np.testing.assert_allclose(params[0].grad.data, [0.3, 0.4], rtol=1e-6)
    np.testing.assert_allclose(params[1].grad.data, [[1.2]], rtol=1e-6)


def test_small_gradients_are_left_alone_and_missing_ones_skipped():
    p, q = with_grads([np.array([0.1, 0.2])])[0], param([1.0])
    grad = p.grad
    assert clip_grad_norm_([p, q], 10.0) == pytest.approx(np.sqrt(0.05))
    assert p.grad is grad and q.grad is None
    assert clip_grad_norm_([q], 1.0) == 0.0
    assert clip_grad_norm_(p, 10.0) == pytest.approx(np.sqrt(0.05))  # a single Tensor works too


def test_float32_gradients_stay_float32():
    params = with_grads([np.full(3, 10.0)], dtype=np.float32)
    clip_grad_norm_(params, 1.0)
    assert params[0].grad.dtype == np.float32


def test_nonfinite_norm():
    params = with_grads([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert np.isinf(clip_grad_norm_(params, 1.0))


@given(grads=grad_lists, clip=st.floats(0.0, 50.0))
@settings(max_examples=30, deadline=None)
def test_clip_grad_value_matches_numpy(grads, clip):
    params = with_grads(grads)
    assert clip_grad_value_(params, clip) is None
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad.data, np.minimum(np.maximum(g, -clip), clip))


@pytest.mark.parametrize("call, error, match", [
    (lambda ps: clip_grad_norm_(ps, -1.0), ValueError, "max_norm"),
    (lambda ps: clip_grad_norm_(ps, float("nan")), TypeError, "max_norm"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), ValueError, "norm_type"),
    (lambda ps: clip_grad_norm_([np.ones(2)], 1.0), TypeError, "Tensors"),
    (lambda ps: clip_grad_value_(ps, -1.0), ValueError, "clip_value"),
    (lambda ps: clip_grad_value_(3.0, 1.0), TypeError, "iterable"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(with_grads([np.ones(2)]))


def test_clip_inside_a_training_step():
    p = Tensor(np.array([10.0, -10.0]), requires_grad=True)
    ((p * p).sum()).backward()  # gradient (20, -20), norm 28.28
    clip_grad_norm_([p], 1.0)
    np.testing.assert_allclose(np.linalg.norm(p.grad.data), 1.0, rtol=1e-6)
