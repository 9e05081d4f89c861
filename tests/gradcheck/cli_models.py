"""Model factories for `tinygrad-udl gradcheck --model tests.gradcheck.cli_models:NAME` tests."""
import numpy as np

from tinygrad_udl import Tensor
from tinygrad_udl.autograd.tensor import apply

from .gradcheck_testing import TwoLayerNet, square_wrong_at


def good():
    return TwoLayerNet(), [Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))]


class SquaredNet(TwoLayerNet):
    """A net whose output goes through a primitive with a VJP wrong by 0.1 % at element 1."""

    PRIM = square_wrong_at(1, 1.001)

    def __call__(self, x):
        return apply(self.PRIM, super().__call__(x))

    def example_inputs(self):
        return [Tensor(np.random.default_rng(1).standard_normal((3, 3)))]


def bad():
    return SquaredNet()


def function_with_loss():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, label="x")
    return (lambda x: x.sin() * x), [x], lambda out: (out * out).sum()


def shape_mismatch():
    return TwoLayerNet(), [Tensor(np.zeros((2, 5)))]


def raises():
    raise RuntimeError("no data here")


def wrong_type():
    return 5
