"""The likelihood heads of chapter 5: a network predicts the parameters θ of a distribution over y.

The maximum-likelihood recipe (eqs. 5.1-5.6): choose Pr(y | θ), let the network predict
θ = f[x, φ], minimise the negative log-likelihood L[φ] = −Σ_i log Pr(y_i | f[x_i, φ]) (eq. 5.4),
and predict ŷ = argmax_y Pr(y | f[x, φ̂]) (eq. 5.5). Each class below is a deep network
(eq. 4.15) whose output layer has one unit per distribution parameter, with `nll` (the loss,
averaged over examples: docs/conventions.md, "Loss reduction") and `predict` (eq. 5.5) as static methods.

| class                    | Pr(y | θ)                     | outputs               | loss        |
|--------------------------|-------------------------------|-----------------------|-------------|
| `GaussianRegression`     | normal, learned variance      | μ = f_1, σ² = f_2²    | eq. 5.15    |
| `BinaryClassifier`       | Bernoulli                     | logit f, λ = sig[f]   | eq. 5.20    |
| `MulticlassClassifier`   | categorical                   | K logits, softmax     | eq. 5.24    |
"""
from __future__ import annotations

import numpy as np

from ...autograd.graph import no_grad
from ...autograd.tensor import Tensor
from ...nn.loss import binary_cross_entropy_with_logits, cross_entropy, gaussian_nll_loss
from .deep import DeepNetwork


class GaussianRegression(DeepNetwork):
    """`GaussianRegression(in_features=1, widths=(32, 32), rng=0)`: heteroscedastic regression
    (eqs. 5.14-5.15).

    Output (N, 2): column 0 is the mean μ = f_1[x, φ], column 1 is f_2[x, φ], and the variance is
    σ² = f_2² (eq. 5.15), so both depend on x. The book gives no initialisation for the variance
    output: here the f_2 row of the last layer starts with zero weights and bias 1, so σ = 1 for
    every x at the start (the homoscedastic model of eq. 5.13) and the variance's dependence on x
    is learned. With He initialisation alone f_2 can start near 0 for some x, where the loss
    (y − μ)²/(2σ²) is enormous and training does not recover (measured: initial NLL ~10⁴).
    """

    def __init__(self, in_features=1, widths=(32, 32), rng=0, dtype=None):
        super().__init__(in_features, widths, 2, rng=rng, dtype=dtype)
        output = self[len(self) - 1]
        with no_grad():
            output.weight.data[1] = 0.0  # f_2 = 1 for every x: σ = 1 at the start
            output.bias.data[:] = [0.0, 1.0]

    @staticmethod
    def nll(output, y):
        """−log N(y; μ, f_2²) averaged over examples (eq. 5.15); y of shape (N, 1)."""
        mu, f2 = output[:, 0:1], output[:, 1:2]
        return gaussian_nll_loss(mu, y, var=f2 * f2)

    @staticmethod
    def predict(output):
        """ŷ = μ, the mode of the normal (eq. 5.12); (N, 1)."""
        return output[:, 0:1]

    @staticmethod
    def variance(output):
        """σ² = f_2² (eq. 5.15); (N, 1)."""
        return output[:, 1:2] * output[:, 1:2]


class BinaryClassifier(DeepNetwork):
    """`BinaryClassifier(in_features=2, widths=(32, 32), rng=0)`: Bernoulli output (eqs. 5.17-5.20).

    Output: one logit f per example, shape (N,) (PyTorch's Linear(D_K, 1) output flattened);
    λ = Pr(y = 1 | x) = sig[f] (eq. 5.18). The loss is the binary cross-entropy (eq. 5.20), in the
    stable form softplus(f) − y·f.
    """

    def __init__(self, in_features=2, widths=(32, 32), rng=0, dtype=None):
        super().__init__(in_features, widths, 1, rng=rng, dtype=dtype)

    def forward(self, x):
        return super().forward(x).reshape(-1)

    @staticmethod
    def nll(output, y):
        """Binary cross-entropy (eq. 5.20) averaged over examples; y in {0, 1}, shape (N,)."""
        return binary_cross_entropy_with_logits(output, y)

    @staticmethod
    def predict(output):
        """ŷ = 1 where λ = sig[f] > 0.5, i.e. f > 0 (eq. 5.5)."""
        data = output.data if isinstance(output, Tensor) else np.asarray(output)
        return (data > 0).astype(np.int64)


class MulticlassClassifier(DeepNetwork):
    """`MulticlassClassifier(in_features=2, widths=(64, 64), num_classes=3, rng=0)`: categorical
    output (eqs. 5.21-5.24).

    Output: K logits (N, K); Pr(y = k | x) = softmax_k[f] (eq. 5.22). The loss is the multiclass
    cross-entropy (eq. 5.24), computed with log-softmax. Labels are 0-based (the book counts 1..K).
    """

    def __init__(self, in_features=2, widths=(64, 64), num_classes=3, rng=0, dtype=None):
        super().__init__(in_features, widths, num_classes, rng=rng, dtype=dtype)

    @staticmethod
    def nll(output, y):
        """Multiclass cross-entropy (eq. 5.24) averaged over examples; integer labels (N,)."""
        return cross_entropy(output, y)

    @staticmethod
    def predict(output):
        """ŷ = argmax_k f_k (eq. 5.5)."""
        data = output.data if isinstance(output, Tensor) else np.asarray(output)
        return np.argmax(data, axis=1)
