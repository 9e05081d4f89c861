"""The "inception" network for the 8×8 digits: a small classifier whose outputs and features the
chapter-14 measures use (section 14.3).

The Inception score and the Fréchet inception distance take the class probabilities and the
deepest hidden layer of a pretrained ImageNet classifier. For the digits we train our own, once
per process and seed: `DigitsClassifier`, three ReLU convolutions and a global average over
positions (as the Inception network's last pooling layer) to 64 features, then a linear layer to
the 10 classes (2.2 % test error after 10 epochs of Adam, a few seconds). `features` gives the
64 pooled features (the FID's), `class_probabilities` the softmax (the Inception score's
Pr(y|x)). Convolutional features separate digits from digit-like noise better than a fully
connected network's: a fully connected first layer sees a Gaussian with the digits' pixel mean
and covariance exactly as it sees digits, up to the first two moments (measured FIDs, 359 test
digits against 359 held-out digits / 359 draws of that Gaussian: 4.6 / 8.5 with the last hidden
layer of a 64-128-64-10 MLP trained for 40 epochs; 1.4 / 4.3 with this network). Images are
(N, 1, 8, 8) in [−1, 1] (`generative.data.tanh_range_digits`).
"""
from __future__ import annotations

import functools

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....checks import as_generator
from ....nn.activation import ReLU
from ....nn.conv import Conv2d
from ....nn.linear import Linear
from ....nn.loss import cross_entropy
from ....nn.module import Module, Sequential
from ....optim import Adam
from ....training import classification_error, evaluate, fit
from ..data import tanh_range_digits

FEATURES = 64


class DigitsClassifier(Module):
    """`DigitsClassifier(rng=0)`: images (N, 1, 8, 8) → logits (N, 10) (section 10.3's 2-D
    convolutions, eq. 10.6).

    `body`: Conv2d(1, 16, 3, padding=1), ReLU, Conv2d(16, 32, 3, stride=2, padding=1), ReLU (4×4),
    Conv2d(32, 64, 3, stride=2, padding=1), ReLU (2×2); the mean over the 2×2 positions gives the
    64 features; `head`: Linear(64, 10). Parameters: (9 + 1)·16 + (16·9 + 1)·32 + (32·9 + 1)·64 +
    (64 + 1)·10 = 23,946. He initialisation (eq. 7.30, the layers' own).
    """

    def __init__(self, rng=0, dtype=None):
        super().__init__()
        gen = as_generator(rng, "DigitsClassifier")
        self.body = Sequential(
            Conv2d(1, 16, 3, padding=1, dtype=dtype, rng=gen), ReLU(),
            Conv2d(16, 32, 3, stride=2, padding=1, dtype=dtype, rng=gen), ReLU(),
            Conv2d(32, FEATURES, 3, stride=2, padding=1, dtype=dtype, rng=gen), ReLU())
        self.head = Linear(FEATURES, 10, dtype=dtype, rng=gen)

    def hidden(self, x):
        """The 64 features: the last convolution's channels averaged over positions."""
        return self.body(x).mean(axis=(2, 3))

    def forward(self, x):
        return self.head(self.hidden(x))


@functools.cache
def trained_digits_classifier(seed=0) -> DigitsClassifier:
    """A `DigitsClassifier` trained on the digits' training split (Adam, lr 1e-3, batch 64, 10
    epochs), cached: every model of a process is judged by the same network."""
    gen = as_generator(seed, "trained_digits_classifier")
    model = DigitsClassifier(rng=gen)
    split = tanh_range_digits()
    fit(model, Adam(model.parameters(), lr=1e-3), split.train, loss_fn=cross_entropy, epochs=10, batch_size=64,
        rng=gen, progress=False, eval_every=10)
    return model


def classifier_test_error(classifier) -> float:
    """The classifier's error on the digits' test split, in percent."""
    return evaluate(classifier, tanh_range_digits().test, cross_entropy, classification_error)["error"]


def _outputs(classifier, images, head):
    with no_grad():
        x = Tensor(np.asarray(images, np.float32))
        hidden = classifier.hidden(x)
        return (classifier.head(hidden).softmax(axis=1) if head else hidden).data.astype(np.float64)


def features(classifier, images):
    """The classifier's 64 pooled features for `images` (N, 1, 8, 8): (N, 64)."""
    return _outputs(classifier, images, head=False)


def class_probabilities(classifier, images):
    """The classifier's Pr(y|x) for `images`: (N, 10), rows summing to 1."""
    return _outputs(classifier, images, head=True)
