"""Bad input gives a clear error: which op, which shapes, what to do -- never a raw numpy traceback.

Each case lists the fragments the message must contain (the op's name and both shapes, for shape
errors) and checks that the numpy exception behind it is not chained into the traceback.
"""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import GraphFreedError, ShapeError, Tensor, Value

from support.messages import raises_mentioning


def T(*shape, grad=False):
    return Tensor(np.ones(shape), requires_grad=grad)


def _freed():
    x = T(2, grad=True)
    y = (x * x).sum()
    y.backward()
    return y.backward()


SHAPE_ERRORS = {
    "add": (lambda: T(2, 3) + T(4), ["add", "(2, 3)", "(4,)", "axis -1", "3 vs 4"]),
    "sub": (lambda: T(5, 2) - T(3, 4, 2), ["sub", "(5, 2)", "(3, 4, 2)", "axis -2", "5 vs 4"]),
    "mul": (lambda: T(2) * np.ones(3), ["mul", "(2,)", "(3,)"]),
    "div": (lambda: np.ones((4, 1)) / T(3, 2), ["div", "(4, 1)", "(3, 2)", "axis -2"]),
    "pow": (lambda: T(2) ** T(3), ["pow", "(2,)", "(3,)"]),
    "maximum": (lambda: tg.maximum(T(2, 3), T(4)), ["maximum", "(2, 3)", "(4,)"]),
    "minimum": (lambda: T(2).minimum(T(3)), ["minimum", "(2,)", "(3,)"]),
    "where": (lambda: tg.where(np.ones(5, bool), T(2, 3), T(3)), ["where", "(5,)", "(2, 3)", "(3,)"]),
    "matmul": (lambda: T(2, 3) @ T(4, 2), ["matmul", "(2, 3)", "(4, 2)", "(3)", "(4)"]),
    "matmul_1d": (lambda: tg.matmul(T(3), T(4)), ["matmul", "(3,)", "(4,)"]),
    "matmul_0d": (lambda: T() @ T(2), ["matmul", "()", "(2,)", "use *"]),
    "dot": (lambda: tg.dot(T(2, 3, 4), T(4)), ["dot", "(2, 3, 4)", "(4,)", "matmul"]),
    "einsum": (lambda: tg.einsum("ij,jk->ik", T(2, 3), T(4, 2)), ["einsum", "'j'", "3", "4", "(2, 3)", "(4, 2)"]),
    "einsum_letters": (lambda: tg.einsum("ij->i", T(2)), ["einsum", "'ij'", "(2,)"]),
    "reshape": (lambda: T(2, 3).reshape(4, 2), ["reshape", "(2, 3)", "(4, 2)", "6 elements"]),
    "broadcast_to": (lambda: T(2, 3).broadcast_to((4, 3)), ["broadcast_to", "(2, 3)", "(4, 3)"]),
    "concatenate": (lambda: tg.concatenate([T(2, 3), T(2, 4)]), ["concatenate", "(2, 3)", "(2, 4)"]),
    "stack": (lambda: tg.stack([T(2, 3), T(3, 2)]), ["stack", "(2, 3)", "(3, 2)"]),
    "split": (lambda: tg.split(T(5), 2), ["split", "5", "2"]),
    "squeeze": (lambda: T(2, 3).squeeze(0), ["squeeze", "(2, 3)"]),
    "squeeze_axis": (lambda: T(1, 3).squeeze(2), ["squeeze", "axis 2"]),
    "unsqueeze": (lambda: T(2, 3).unsqueeze(3), ["unsqueeze", "axis 3"]),
    "transpose": (lambda: T(2, 3).transpose((0, 0)), ["transpose", "(2, 3)"]),
    "transpose_axis": (lambda: T(2, 3).transpose(0, 2), ["transpose", "axis 2"]),
    "swapaxes": (lambda: T(2, 3).swapaxes(0, 2), ["swapaxes", "axis 2"]),
    "flatten": (lambda: T(2, 3, 4).flatten(2, 0), ["flatten", "(2, 3, 4)"]),
    "flip": (lambda: T(2, 3).flip(2), ["flip", "axis 2"]),
    "repeat": (lambda: T(2, 3).repeat(np.array([1, 2]), axis=1), ["repeat", "(2,)", "3"]),
    "repeat_axis": (lambda: T(2, 3).repeat(2, axis=2), ["repeat", "axis 2"]),
    "pad": (lambda: T(2, 3).pad(((1, 1), (1, 1), (1, 1))), ["pad", "(2, 3)"]),
    "sum": (lambda: T(2, 3).sum(axis=2), ["sum", "axis 2", "2 dimension"]),
    "mean": (lambda: T(2, 3).mean(axis=-3), ["mean", "axis -3"]),
    "var": (lambda: T(2, 3).var(axis=(0, 5)), ["var", "axis 5"]),
    "max": (lambda: T(2, 3).max(axis=2), ["max", "axis 2"]),
    "logsumexp": (lambda: T(2, 3).logsumexp(axis=2), ["logsumexp", "axis 2"]),
    "softmax": (lambda: T(2, 3).softmax(axis=2), ["softmax", "axis 2"]),
    "argmax": (lambda: T(2, 3).argmax(axis=2), ["argmax", "axis 2"]),
    "backward_grad_shape": (lambda: (T(2, grad=True) * 2).backward(grad=np.ones(3)), ["backward", "(3,)", "(2,)"]),
    "vjp_shape": (lambda: tg.vjp(lambda x: x * x, np.ones(2), np.ones(3)), ["(3,)", "(2,)"]),
}


@pytest.mark.parametrize("name", sorted(SHAPE_ERRORS))
def test_shape_errors_name_the_op_and_the_shapes(name):
    thunk, fragments = SHAPE_ERRORS[name]
    error = raises_mentioning(ShapeError, thunk, fragments)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_shape_error_is_a_value_error():
    assert issubclass(ShapeError, ValueError)


OTHER_ERRORS = {
    "getitem": (lambda: T(2, 3)[5], IndexError, ["getitem", "(2, 3)", "5"]),
    "backward_int": (lambda: Tensor(np.array([1, 2])).sum().backward(), RuntimeError, ["int64", "floating-point"]),
    "backward_freed": (_freed, GraphFreedError, ["second time", "retain_graph=True"]),
    "backward_no_grad": (lambda: T(2).sum().backward(), RuntimeError, ["does not require grad", "requires_grad=True"]),
    "backward_non_scalar": (lambda: (T(2, 3, grad=True) * 2).backward(), RuntimeError, ["(2, 3)", "grad=", "sum()"]),
    "grad_input_no_grad": (lambda: tg.grad((T(2, grad=True) * 2).sum(), T(2)), RuntimeError, ["requires_grad=True"]),
    "grad_unused": (lambda: tg.grad((T(2, grad=True) * 2).sum(), T(2, grad=True)), RuntimeError, ["allow_unused=True"]),
    "grad_output_no_grad": (lambda: tg.grad(T(2).sum(), T(2, grad=True)), RuntimeError, ["does not require grad"]),
    "grad_f_not_scalar": (lambda: tg.grad(lambda x: x * 2)(np.ones(2)), TypeError, ["single number"]),
    "mix_value_tensor": (lambda: T(1) + Value(1.0), TypeError, ["Value", "Tensor"]),
    "mix_tensor_value": (lambda: Value(1.0) * T(1), TypeError, ["Value", "Tensor"]),
    "var_ddof": (lambda: T(1).var(ddof=1), ValueError, ["var", "ddof=1"]),
    "int_requires_grad": (lambda: Tensor(np.array([1]), requires_grad=True), TypeError, ["int64"]),
    "item": (lambda: T(2).item(), ValueError, ["item", "2 elements"]),
    "einsum_ellipsis": (lambda: tg.einsum("...i->i", T(2, 3)), ValueError, ["einsum", "..."]),
    "einsum_diagonal": (lambda: tg.einsum("ii->i", T(2, 3)), ValueError, ["einsum", "repeats 'i'", "2 and 3"]),
    "einsum_count": (lambda: tg.einsum("ij,jk->ik", T(2, 2)), ValueError, ["einsum", "2 operand"]),
}


@pytest.mark.parametrize("name", sorted(OTHER_ERRORS))
def test_other_errors_say_what_went_wrong(name):
    thunk, exc, fragments = OTHER_ERRORS[name]
    raises_mentioning(exc, thunk, fragments)
