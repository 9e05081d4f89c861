"""What the analysis experiments share: MNIST-1D splits, noisy labels, the networks, parameter counts,
a model's loss as a function of one parameter vector, and a training loop that can stop once the
training set is memorised.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..checks import as_generator
from ..data import DataLoader, load_mnist1d
from ..nn.loss import cross_entropy
from ..nn.utils import functional_call, parameters_to_vector, vector_to_tensors
from ..training import evaluate
from ..training.metrics import classification_error

MNIST1D_INPUTS, MNIST1D_CLASSES = 40, 10


def mlp_parameters(widths, inputs=MNIST1D_INPUTS, outputs=MNIST1D_CLASSES) -> int:
    """Σ_k (D_k + 1)·D_{k+1} (section 4.4): weights and biases of inputs → widths → outputs."""
    sizes = [inputs, *widths, outputs]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def two_layer_width_for(parameters, inputs=MNIST1D_INPUTS, outputs=MNIST1D_CLASSES) -> float:
    """The width H at which 40 → H → H → 10 has `parameters` parameters: the root of
    H² + (inputs + outputs + 2)·H + outputs = parameters (H² + 52H + 10 for MNIST-1D, fig. 8.10)."""
    b = inputs + outputs + 2
    return (-b + (b * b + 4 * (parameters - outputs)) ** 0.5) / 2


def mnist1d_split(n_train, n_test, seed=42):
    """((x_train, y_train), (x_test, y_test)): `n_train` + `n_test` MNIST-1D examples of the reference
    generator (seed 42 as the book's sets), the first `n_train` for training."""
    total = int(n_train) + int(n_test)
    data = load_mnist1d(seed=seed, num_samples=total, train_split=n_train / total)
    return (data.x_train, data.y_train), (data.x_test, data.y_test)


def randomize_labels(y, fraction, rng, classes=MNIST1D_CLASSES):
    """A copy of the labels `y` with exactly round(fraction·N) of them, chosen at random, replaced by
    uniformly random classes (fig. 8.10b: 15 %; fig. 20.2: all). A replaced label can come out equal
    to the old one, as "randomizing" a label does (so about fraction·(1 − 1/classes) change)."""
    gen = as_generator(rng, "randomize_labels")
    y = np.array(y, copy=True)
    chosen = gen.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    y[chosen] = gen.integers(0, classes, size=len(chosen))
    return y


def mlp(widths, seed, inputs=MNIST1D_INPUTS, outputs=MNIST1D_CLASSES, dtype=None):
    """inputs → widths → outputs with ReLUs, He initialisation (eq. 7.30), biases 0 (`zoo.DeepNetwork`)."""
    from ..zoo.supervised.deep import DeepNetwork

    return DeepNetwork(inputs, list(widths), outputs, rng=seed, dtype=dtype)


def loss_of_vector(model, x, y, loss_fn=cross_entropy):
    """(f, φ): f(vector) = the loss of `model` on (x, y) with its parameters replaced by `vector`
    (`functional_call`; differentiable, so `grad`, `hvp` and `hessian` apply), and φ the current
    parameters as one vector (a constant Tensor)."""
    names, params = zip(*model.named_parameters())
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))

    def f(vector):
        return loss_fn(functional_call(model, dict(zip(names, vector_to_tensors(vector, params))), x), y)

    return f, parameters_to_vector(params).detach()


def parameter_vector(model) -> np.ndarray:
    """The model's parameters as one numpy vector (a copy)."""
    return np.concatenate([np.asarray(p.data).ravel() for p in model.parameters()])


def set_parameter_vector(model, vector):
    """Copy `vector` into the model's parameters (in `parameters()` order)."""
    from ..nn.utils import vector_to_parameters

    vector_to_parameters(Tensor(np.asarray(vector)), model.parameters())


def errors(model, train, test, loss_fn=cross_entropy, error_fn=classification_error) -> dict:
    """train_loss, train_error, test_loss, test_error (errors in %) of `model`."""
    out = {}
    for name, data in (("train", train), ("test", test)):
        for key, value in evaluate(model, data, loss_fn, error_fn).items():
            out[f"{name}_{key}"] = float(value)
    return out


def train_classifier(model, optimizer, train, test, *, steps, batch_size, rng, check_every=None,
                     stop_when_memorised=False, after_step=None, loss_fn=cross_entropy):
    """Mini-batch training (eq. 6.10) for `steps` optimizer steps; full batch when `batch_size` is the
    training set's size. Every `check_every` steps (and at the end) the training and test loss and
    error are evaluated; with `stop_when_memorised` training stops at the first check with training
    error 0. `after_step(model)` runs after every update (pruning masks). Returns (curve, final):
    a list of rows {step, train_loss, train_error, test_loss, test_error} and the last row, with
    `memorised_step` (the first checked step with training error 0, or None).
    """
    x, y = train
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=batch_size < len(x), rng=as_generator(rng, "train"))
    dtype = next(iter(model.parameters())).dtype
    check_every = check_every or steps
    curve, memorised, step = [], None, 0

    def check():
        nonlocal memorised
        row = {"step": step, **errors(model, train, test, loss_fn)}
        curve.append(row)
        if memorised is None and row["train_error"] == 0.0:
            memorised = step
        return row

    check()
    model.train()
    while step < steps:
        for xb, yb in loader:
            output = model(Tensor(xb.astype(dtype, copy=False)))
            loss = loss_fn(output, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step(model)
            step += 1
            if not np.isfinite(loss.item()):
                raise FloatingPointError(f"the training loss is {loss.item()} at step {step}: the run diverged")
            if step % check_every == 0 or step == steps:
                row = check()
                model.train()
                if stop_when_memorised and row["train_error"] == 0.0:
                    return curve, {**row, "memorised_step": memorised}
            if step == steps:
                break
    return curve, {**curve[-1], "memorised_step": memorised}
