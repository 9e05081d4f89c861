"""Helpers shared by the layer tests: the gradient check (float64 central differences, via
tinygrad_udl.gradcheck) and small independent utilities."""
import numpy as np

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module, gradcheck


def assert_grads(fn, *arrays, order=1, constants=()):
    """gradcheck fn(*tensors) w.r.t. every array in `arrays` (float64 leaves), plus fixed
    `constants` appended as non-differentiated arguments; fails with the report's table."""
    inputs = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays] + list(constants)
    report = gradcheck(fn, inputs, order=order)
    assert report.ok, str(report)
    return report


def assert_module_grads(module, *inputs, order=1):
    report = check_module(module, list(inputs), order=order)
    assert report.ok, str(report)
    return report


def permutation_matrix(rng, n):
    return np.eye(n)[rng.permutation(n)]


def distinct_values(rng, shape, gap=0.05):
    """Values whose pairwise differences are at least `gap`: maxima are unique and a finite-difference
    step (~1e-5) cannot change which element wins."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * gap - n * gap / 2).reshape(shape)
