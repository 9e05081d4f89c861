"""Fig. 7.8: the book's sample training code, line for line on this library's API.

The listing trains Linear(10,40) → ReLU → Linear(40,40) → ReLU → Linear(40,5) on 100 random inputs
and targets: He-uniform weights and zero biases (eq. 7.30), least squares (`MSELoss`, a mean over
batch × outputs), PyTorch's SGD with lr 0.1 and momentum 0.9 (the prose of section 7.6 says 0.01;
the code says 0.1; docs/conventions.md, "Misprints"), the rate halved every 10 epochs (`StepLR`, section 6.2.2), shuffled
batches of 10, 100 epochs, the epoch loss the sum of its 10 batch losses. The book prints no output;
the loss should fall steadily.

Differences from the PyTorch listing, all forced by the API rather than chosen: explicit `rng`
seeds instead of torch's global generator, `DataLoader(x, y, ...)` instead of
`DataLoader(TensorDataset(x, y), ...)` (our loader takes arrays), `init.he_uniform_` for the
deprecated `kaiming_uniform`, and the batches wrapped in `Tensor` before the forward pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import nn
from ...autograd.tensor import Tensor, randn
from ...checks import as_generator
from ...data import DataLoader
from ...optim import SGD, StepLR


@dataclass
class Fig78Run:
    """What the listing leaves behind: the model, its optimizer and data, and per epoch the summed batch
    losses and the learning rate used."""

    model: nn.Module
    optimizer: SGD
    x: np.ndarray
    y: np.ndarray
    epoch_losses: np.ndarray
    lrs: np.ndarray


def train_fig7_8(epochs=100, rng=0, verbose=False, on_backward=None) -> Fig78Run:
    """Run fig. 7.8's listing for `epochs` epochs; `rng` (int seed or Generator) seeds the weights, the data
    and the batch order. `verbose` prints the listing's "Epoch ..., loss ..." lines. `on_backward(epoch, i,
    x_batch, y_batch, model, optimizer)`, if given, is called after each `loss.backward()`, before the
    update (to inspect gradients)."""
    gen = as_generator(rng, "train_fig7_8")
    # define input size, hidden layer size, output size
    D_i, D_k, D_o = 10, 40, 5
    # create model with two hidden layers
    model = nn.Sequential(
        nn.Linear(D_i, D_k, rng=gen),
        nn.ReLU(),
        nn.Linear(D_k, D_k, rng=gen),
        nn.ReLU(),
        nn.Linear(D_k, D_o, rng=gen))

    # He initialization of weights
    def weights_init(layer_in):
        if isinstance(layer_in, nn.Linear):
            nn.init.he_uniform_(layer_in.weight, rng=gen)
            nn.init.zeros_(layer_in.bias)
    model.apply(weights_init)
    # choose least squares loss function
    criterion = nn.MSELoss()
    # construct SGD optimizer and initialize learning rate and momentum
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    # object that decreases learning rate by half every 10 epochs
    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    # create 100 dummy data points and store in data loader class
    x = randn(100, D_i, rng=gen).numpy()
    y = randn(100, D_o, rng=gen).numpy()
    data_loader = DataLoader(x, y, batch_size=10, shuffle=True, rng=gen)
    epoch_losses, lrs = [], []
    # loop over the dataset `epochs` times
    for epoch in range(epochs):
        epoch_loss = 0.0
        lrs.append(optimizer.param_groups[0]["lr"])
        # loop over batches
        for i, data in enumerate(data_loader):
            # retrieve inputs and labels for this batch
            x_batch, y_batch = data
            # zero the parameter gradients
            optimizer.zero_grad()
            # forward pass
            pred = model(Tensor(x_batch))
            loss = criterion(pred, y_batch)
            # backward pass
            loss.backward()
            if on_backward is not None:
                on_backward(epoch, i, x_batch, y_batch, model, optimizer)
            # SGD update
            optimizer.step()
            # update statistics
            epoch_loss += loss.item()
        # print error
        if verbose:
            print(f"Epoch {epoch:5d}, loss {epoch_loss:.3f}")
        epoch_losses.append(epoch_loss)
        # tell scheduler to consider updating learning rate
        scheduler.step()
    return Fig78Run(model, optimizer, x, y, np.array(epoch_losses), np.array(lrs))


def fig7_8_rows(run: Fig78Run) -> list:
    """Result rows: the first and last epoch loss, and whether the loss fell steadily (every 10-epoch
    block's mean below the previous block's)."""
    losses = run.epoch_losses
    blocks = [losses[i:i + 10].mean() for i in range(0, len(losses), 10)]
    steady = all(b < a for a, b in zip(blocks, blocks[1:]))
    note = "sum of the 10 batch MSEs of the epoch; the book prints no output"
    return [
        {"model": "fig7.8-training", "metric": "epoch loss, first epoch", "book": None, "ours": float(losses[0]),
         "note": note},
        {"model": "fig7.8-training", "metric": f"epoch loss, epoch {len(losses) - 1}", "book": None,
         "ours": float(losses[-1]), "note": note},
        {"model": "fig7.8-training", "metric": "loss falls steadily (10-epoch means decrease)", "book": "yes",
         "ours": "yes" if steady else "no", "note": f"final lr {run.lrs[-1]:.3g}"},
    ]
