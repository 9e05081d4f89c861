"""The fully connected MNIST-1D classifier of section 8.1 and fig. 8.2.

"A network with D_i = 40 inputs and D_o = 10 outputs which are passed through a softmax function
... two hidden layers with D = 100 hidden units each. It is trained using stochastic gradient
descent with batch size 100 and learning rate 0.1 for 6000 steps (150 epochs) with a multi-class
cross-entropy loss (equation 5.24)." (section 8.1). The book's outcome: the training error
reaches 0 after about 4,000 steps, the test error only falls to about 40 %, and the test loss is
lowest near step 1,500 and then rises (fig. 8.2).
"""
from __future__ import annotations

from .deep import DeepNetwork

MNIST1D_INPUTS = 40  # D_i: the signal is sampled at 40 positions (fig. 8.1d)
MNIST1D_CLASSES = 10  # D_o: the digits 0-9


class MNIST1DMLP(DeepNetwork):
    """`MNIST1DMLP(widths=(100, 100), rng=0)`: 40 → 100 → 100 → 10 with ReLUs (section 8.1, eq. 4.15).

    Outputs 10 logits per example (the softmax of eq. 5.22 is part of the loss, eq. 5.24).
    15,210 parameters: (40 + 1)·100 + (100 + 1)·100 + (100 + 1)·10. Same parameter names as
    `nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))`.
    He initialisation (eq. 7.30), zero biases.
    """

    def __init__(self, widths=(100, 100), rng=0, dtype=None):
        super().__init__(MNIST1D_INPUTS, widths, MNIST1D_CLASSES, rng=rng, dtype=dtype)
