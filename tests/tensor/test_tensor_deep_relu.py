"""The book's backpropagation for a deep ReLU network (section 7.4, eqs. 7.16-7.24), by hand in numpy,
equals the engine's gradients.

Row-batch form (the book's section 7.4 in rows; X is N x D_i, Omega_k is out x in as in the book and PyTorch):
    forward   f_0 = X Omega_0^T + beta_0,  h_k = ReLU[f_{k-1}],  f_k = h_k Omega_k^T + beta_k  (k = 1..K)
    loss      l = sum over the batch of ||f_K - y||^2  (least squares, summed over examples)
    backward  G_K = dl/df_K = 2 (f_K - y)
              dl/dbeta_k = sum of the rows of G_k,  dl/dOmega_k = G_k^T h_k          (eqs. 7.22-7.23)
              G_{k-1} = I[f_{k-1} > 0] * (G_k Omega_k)                                (eq. 7.24)
              dl/dbeta_0 = sum of the rows of G_0,  dl/dOmega_0 = G_0^T X
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import Tensor


def book_backprop(X, y, omegas, betas):
    """Gradients of the least-squares loss by eqs. 7.16-7.24, with numpy only."""
    f = [X @ omegas[0].T + betas[0]]                      # f_0
    h = [X]                                               # h_0 stands for the input
    for omega, beta in zip(omegas[1:], betas[1:]):
        h.append(np.maximum(f[-1], 0))                    # h_k = a[f_{k-1}]
        f.append(h[-1] @ omega.T + beta)                  # f_k = beta_k + Omega_k h_k
    G = 2 * (f[-1] - y)                                   # dl/df_K
    d_omegas, d_betas = [None] * len(omegas), [None] * len(betas)
    for k in range(len(omegas) - 1, -1, -1):
        d_betas[k] = G.sum(axis=0)
        d_omegas[k] = G.T @ h[k]
        if k > 0:
            G = (f[k - 1] > 0) * (G @ omegas[k])          # the indicator I[f_{k-1} > 0]
    return np.sum((f[-1] - y) ** 2), d_omegas, d_betas


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), widths=st.lists(st.integers(1, 5), min_size=4, max_size=4))
def test_engine_gradients_equal_the_books_backprop_for_a_3_layer_relu_net(seed, n, widths):
    rng = np.random.default_rng(seed)
    sizes = widths                                        # D_i, D_1, D_2, D_o: 3 weight layers
    X, y = rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1]))
    omegas = [rng.normal(size=(d_out, d_in)) for d_in, d_out in zip(sizes[:-1], sizes[1:])]
    betas = [rng.normal(size=d_out) for d_out in sizes[1:]]
    loss, d_omegas, d_betas = book_backprop(X, y, omegas, betas)

    W = [Tensor(o, requires_grad=True) for o in omegas]
    b = [Tensor(v, requires_grad=True) for v in betas]
    f = Tensor(X) @ W[0].T + b[0]
    for omega, beta in zip(W[1:], b[1:]):
        f = f.relu() @ omega.T + beta
    engine_loss = ((f - Tensor(y)) ** 2).sum()
    engine_loss.backward()

    assert engine_loss.item() == pytest.approx(loss, rel=1e-12)
    for k in range(3):
        np.testing.assert_allclose(W[k].grad.data, d_omegas[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b[k].grad.data, d_betas[k], rtol=1e-10, atol=1e-12)
