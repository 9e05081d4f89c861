"""Gradients come back in their tensor's memory layout (a performance property, checked for values too)."""
import numpy as np

from tinygrad_udl import Tensor


def test_weight_gradient_of_x_matmul_w_transposed_is_row_major_and_correct():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)))
    W = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    G = rng.standard_normal((5, 4))
    (x @ W.T).backward(G)
    assert W.grad.data.flags.c_contiguous
    np.testing.assert_allclose(W.grad.data, G.T @ x.data, rtol=1e-12)


def test_gradient_of_a_column_major_left_operand_is_correct():
    rng = np.random.default_rng(1)
    A = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    B = Tensor(rng.standard_normal((3, 4)))
    G = rng.standard_normal((5, 4))
    (A.T @ B).backward(G)
    np.testing.assert_allclose(A.grad.data, B.data @ G.T, rtol=1e-12)
    assert A.grad.data.flags.c_contiguous


def test_batched_right_operand_with_a_transposed_left_operand():
    rng = np.random.default_rng(2)
    A = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    B = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    G = rng.standard_normal((2, 5, 4))
    (A.T @ B).backward(G)
    np.testing.assert_allclose(A.grad.data, sum(B.data[i] @ G[i].T for i in range(2)), rtol=1e-12)
    np.testing.assert_allclose(B.grad.data, np.stack([A.data @ G[i] for i in range(2)]), rtol=1e-12)
