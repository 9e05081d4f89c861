"""Classifiers trained with SGD and mean cross-entropy, once per system: the body of W3, W4 and W5.

An architecture is a tuple of layers in PyTorch's order and parameter layout:
`("linear", n_in, n_out)`, `("conv1d", c_in, c_out, kernel, stride)` (no padding), `("relu",)`,
`("flatten",)`. Every system builds it from the same initial parameters (`initial_parameters`: He
normal weights, eq. 7.30, zero biases, drawn once with numpy), computes the same mean
cross-entropy of the logits (eqs. 5.22-5.24), and takes the same SGD step with PyTorch's momentum
rule v <- mu v + g, phi <- phi - lr v (plain SGD when mu = 0).

Trainers have `train_step(x, y) -> loss` (forward, backward, update), `loss(x, y)` (forward only)
and `logits(x)`; the cases at the bottom turn one into a benchmark step (an epoch over shuffled
mini-batches, or one step on a fixed batch).
"""
from __future__ import annotations

import math

import numpy as np

from .harness import Case


def initial_parameters(arch, seed=0, dtype=np.float32):
    """[weight, bias, ...] for every linear/conv layer: He normal (std sqrt(2 / fan_in)), zero biases."""
    rng = np.random.default_rng(seed)
    params = []
    for layer in arch:
        if layer[0] == "linear":
            shape = (layer[2], layer[1])
        elif layer[0] == "conv1d":
            shape = (layer[2], layer[1], layer[3])
        else:
            continue
        fan_in = math.prod(shape[1:])
        params += [(rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype), np.zeros(shape[0], dtype)]
    return params


def layer_count(arch):
    return sum(layer[0] in ("linear", "conv1d") for layer in arch)


def conv_output_length(length, kernel, stride):
    return (length - kernel) // stride + 1


def forward_flops(arch, batch, in_length=None):
    """Multiply-add FLOPs (2 per multiply-add) of the linear and conv layers' forward pass."""
    flops, length = 0, in_length
    for layer in arch:
        if layer[0] == "linear":
            flops += 2 * batch * layer[1] * layer[2]
        elif layer[0] == "conv1d":
            _, c_in, c_out, k, s = layer
            length = conv_output_length(length, k, s)
            flops += 2 * batch * length * c_out * c_in * k
    return flops


def apply_arch(arch, params, x, conv1d, relu):
    """The forward pass of `arch` on parameters [weight, bias, ...] for a numpy-like library, given
    its `conv1d(h, weight, bias, stride)` (valid) and `relu(h)`; linear layers and flatten are the
    same array expressions in all of them."""
    it, h = iter(params), x
    for layer in arch:
        if layer[0] == "linear":
            w, b = next(it), next(it)
            h = h @ w.T + b
        elif layer[0] == "conv1d":
            w, b = next(it), next(it)
            h = conv1d(h, w, b, layer[4])
        elif layer[0] == "relu":
            h = relu(h)
        else:
            h = h.reshape(h.shape[0], -1)
    return h


def build_sequential(nn, arch):
    """The architecture as `nn.Sequential` of `nn`'s layers: tinygrad_udl.nn and torch.nn have the
    same names and arguments for these four, so one builder serves both."""
    layers = []
    for layer in arch:
        if layer[0] == "linear":
            layers.append(nn.Linear(layer[1], layer[2]))
        elif layer[0] == "conv1d":
            layers.append(nn.Conv1d(layer[1], layer[2], layer[3], stride=layer[4]))
        elif layer[0] == "relu":
            layers.append(nn.ReLU())
        else:
            layers.append(nn.Flatten())
    return nn.Sequential(*layers)


# ---- tinygrad_udl ---------------------------------------------------------------------------------


class OursNN:
    """tinygrad_udl's public training API: nn.Sequential of nn layers, F.cross_entropy, optim.SGD."""

    def __init__(self, arch, params, lr, momentum):
        import tinygrad_udl as tg
        from tinygrad_udl import nn, optim
        from tinygrad_udl.nn import functional as F

        self.model = build_sequential(nn, arch)
        self.model.load_state_dict(_state_dict(arch, params))
        self.opt = optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.tg, self.F = tg, F

    def train_step(self, x, y):
        loss = self.F.cross_entropy(self.model(self.tg.Tensor(x)), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def loss(self, x, y):
        with self.tg.no_grad():
            return self.F.cross_entropy(self.model(self.tg.Tensor(x)), y).item()

    def logits(self, x):
        with self.tg.no_grad():
            return self.model(self.tg.Tensor(x)).numpy()


class OursCompiled(OursNN):
    """OursNN's step through `tinygrad_udl.compile`: traced twice, then replayed on arrays."""

    def __init__(self, arch, params, lr, momentum):
        super().__init__(arch, params, lr, momentum)
        from tinygrad_udl import compile

        def step(x, y):
            loss = self.F.cross_entropy(self.model(self.tg.Tensor(x)), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return loss.item()

        self.compiled = compile(step)

    def train_step(self, x, y):
        return self.compiled(x, y)


def _state_dict(arch, params):
    """PyTorch nn.Sequential names ('0.weight', '0.bias', ...) for the parameter list."""
    out, it = {}, iter(params)
    for i, layer in enumerate(arch):
        if layer[0] in ("linear", "conv1d"):
            out[f"{i}.weight"], out[f"{i}.bias"] = next(it), next(it)
    return out


class OursRaw:
    """tinygrad_udl's Tensor engine used directly: matmul, relu, log_softmax, a one-hot NLL and a
    momentum update on `.data` in numpy. The gap to `OursNN` is the cost of the nn/optim layers."""

    def __init__(self, arch, params, lr, momentum):
        import tinygrad_udl as tg

        if any(layer[0] == "conv1d" for layer in arch):
            raise NotImplementedError("the raw-Tensor variant has linear layers only")
        self.tg, self.arch, self.lr, self.momentum = tg, arch, lr, momentum
        self.params = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
        self.velocity = [np.zeros_like(p) for p in params]

    def _loss(self, x, y):
        logits = self._forward(self.tg.Tensor(x))
        onehot = self.tg.one_hot(y, logits.shape[1], dtype=logits.dtype)
        return -(logits.log_softmax(axis=1) * onehot).sum() * (1.0 / len(y))

    def _forward(self, h):
        it = iter(self.params)
        for layer in self.arch:
            if layer[0] == "linear":
                w, b = next(it), next(it)
                h = h @ w.T + b
            elif layer[0] == "relu":
                h = h.relu()
        return h

    def train_step(self, x, y):
        loss = self._loss(x, y)
        self.tg.zero_grad(self.params)
        loss.backward()
        for p, v in zip(self.params, self.velocity):
            v *= self.momentum
            v += p.grad.data
            p.data -= self.lr * v
        return loss.item()

    def loss(self, x, y):
        with self.tg.no_grad():
            return self._loss(x, y).item()

    def logits(self, x):
        with self.tg.no_grad():
            return self._forward(self.tg.Tensor(x)).numpy()


# ---- PyTorch --------------------------------------------------------------------------------------


class TorchTrainer:
    def __init__(self, arch, params, lr, momentum):
        import torch
        from torch import nn

        self.model = build_sequential(nn, arch)
        self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in _state_dict(arch, params).items()})
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.torch = torch

    def _loss(self, x, y):
        return self.torch.nn.functional.cross_entropy(self.model(self.torch.from_numpy(x)), self.torch.from_numpy(y))

    def train_step(self, x, y):
        loss = self._loss(x, y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def loss(self, x, y):
        with self.torch.no_grad():
            return self._loss(x, y).item()

    def logits(self, x):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(x)).numpy()


# ---- JAX ------------------------------------------------------------------------------------------


class JaxTrainer:
    """JAX as its users write a training step: a pure function of (parameters, velocity, batch) --
    forward, `jax.value_and_grad`, the momentum update -- compiled whole by `jax.jit`. The parameter
    and velocity buffers are donated (`donate_argnums`), so XLA updates them in place instead of
    allocating new ones every step (it does on CPU: the output reuses the donated buffer). JAX
    dispatches asynchronously; `float(loss)` waits for the step, so the time includes its work."""

    def __init__(self, arch, params, lr, momentum):
        import jax
        import jax.numpy as jnp

        def conv1d(h, w, b, stride):   # XLA's own convolution, in PyTorch's NCH / OIH layouts
            return jax.lax.conv_general_dilated(h, w, window_strides=(stride,), padding="VALID",
                                                dimension_numbers=("NCH", "OIH", "NCH")) + b[:, None]

        def forward(params, x):
            return apply_arch(arch, params, x, conv1d, jax.nn.relu)

        def loss(params, x, y):
            logp = jax.nn.log_softmax(forward(params, x), axis=1)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        def step(params, velocity, x, y):
            value, grads = jax.value_and_grad(loss)(params, x, y)
            if momentum:  # PyTorch's rule, as _MomentumSGD: v <- mu v + g (v starts at 0), phi <- phi - lr v
                velocity = [momentum * v + g for v, g in zip(velocity, grads)]
                grads = velocity
            return [p - lr * g for p, g in zip(params, grads)], velocity, value

        self.params = [jnp.array(p) for p in params]  # copies: the shared arrays stay as they are
        self.velocity = [jnp.zeros_like(p) for p in self.params] if momentum else []
        self._step = jax.jit(step, donate_argnums=(0, 1))
        self._loss, self._forward = jax.jit(loss), jax.jit(forward)

    def train_step(self, x, y):
        self.params, self.velocity, value = self._step(self.params, self.velocity, x, y)
        return float(value)

    def loss(self, x, y):
        return float(self._loss(self.params, x, y))

    def logits(self, x):
        return np.asarray(self._forward(self.params, x))


# ---- numpy-based: HIPS autograd and the hand-written floor ----------------------------------------


def _windows(length, kernel, stride):
    """Indices (L_out, K) of the input positions each output position of a valid conv reads."""
    return stride * np.arange(conv_output_length(length, kernel, stride))[:, None] + np.arange(kernel)[None, :]


class _MomentumSGD:
    """The numpy update shared by the autograd and numpy trainers (PyTorch's momentum rule)."""

    def __init__(self, params, lr, momentum):
        self.params = [p.copy() for p in params]
        self.velocity = [np.zeros_like(p) for p in params]
        self.lr, self.momentum = lr, momentum

    def update(self, grads):
        for p, v, g in zip(self.params, self.velocity, grads):
            if self.momentum:
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


class AutogradTrainer(_MomentumSGD):
    def __init__(self, arch, params, lr, momentum):
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        super().__init__(params, lr, momentum)
        self.arch = arch

        def conv1d(h, w, b, stride):   # im2col by indexing, one matmul
            n, _, length = h.shape
            idx = _windows(length, w.shape[2], stride)
            cols = anp.transpose(h[:, :, idx], (0, 2, 1, 3)).reshape(n * len(idx), -1)  # (N L_out, C K)
            out = cols @ w.reshape(w.shape[0], -1).T + b
            return anp.transpose(out.reshape(n, len(idx), -1), (0, 2, 1))

        def forward(params, x):
            return apply_arch(arch, params, x, conv1d, lambda h: anp.maximum(h, 0))

        def loss(params, x, y):
            logits = forward(params, x)
            logp = logits - logsumexp(logits, axis=1, keepdims=True)
            return -anp.mean(logp[np.arange(len(y)), y])

        self._forward, self._loss = forward, loss
        self.value_and_grad = autograd.value_and_grad(loss)

    def train_step(self, x, y):
        loss, grads = self.value_and_grad(self.params, x, y)
        self.update(grads)
        return float(loss)

    def loss(self, x, y):
        return float(self._loss(self.params, x, y))

    def logits(self, x):
        return self._forward(self.params, x)


def _log_softmax(logits):
    m = logits.max(axis=1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))


class NumpyTrainer(_MomentumSGD):
    """Forward and backward written out by hand in numpy: the floor for the numpy-based engines."""

    def __init__(self, arch, params, lr, momentum):
        super().__init__(params, lr, momentum)
        self.arch = arch

    def _forward(self, x, keep=None):
        it, h = iter(self.params), x
        for layer in self.arch:
            if keep is not None:
                keep.append(h)
            if layer[0] == "linear":
                w, b = next(it), next(it)
                h = h @ w.T + b
            elif layer[0] == "conv1d":
                w, b = next(it), next(it)
                cols = self._im2col(h, layer[3], layer[4])
                out = cols @ w.reshape(w.shape[0], -1).T + b
                h = out.reshape(h.shape[0], -1, w.shape[0]).transpose(0, 2, 1)
            elif layer[0] == "relu":
                h = np.maximum(h, 0)
            else:
                h = h.reshape(h.shape[0], -1)
        return h

    @staticmethod
    def _im2col(h, kernel, stride):
        n, c, _ = h.shape
        win = np.lib.stride_tricks.sliding_window_view(h, kernel, axis=2)[:, :, ::stride]  # (N, C, L_out, K)
        return win.transpose(0, 2, 1, 3).reshape(n * win.shape[2], c * kernel)

    def _loss_and_grads(self, x, y):
        inputs = []
        logp = _log_softmax(self._forward(x, inputs))
        n = len(y)
        loss = -logp[np.arange(n), y].mean()
        g = np.exp(logp)
        g[np.arange(n), y] -= 1
        g /= n
        grads = []
        p_index = len(self.params)
        for layer, h in zip(reversed(self.arch), reversed(inputs)):
            if layer[0] == "linear":
                p_index -= 2
                w = self.params[p_index]
                grads += [g.sum(0), g.T @ h]
                g = g @ w if p_index else None
            elif layer[0] == "conv1d":
                p_index -= 2
                w = self.params[p_index]
                _, c_in, c_out, k, s = layer
                g_rows = g.transpose(0, 2, 1).reshape(-1, c_out)  # (N L_out, C_out)
                cols = self._im2col(h, k, s)
                grads += [g_rows.sum(0), (g_rows.T @ cols).reshape(w.shape)]
                if p_index:
                    g_cols = (g_rows @ w.reshape(c_out, -1)).reshape(h.shape[0], -1, c_in, k)  # (N, L_out, C, K)
                    dx = np.zeros_like(h)
                    span = s * (g_cols.shape[1] - 1) + 1
                    for j in range(k):  # col2im: each kernel tap scatters back to its input positions
                        dx[:, :, j:j + span:s] += g_cols[:, :, :, j].transpose(0, 2, 1)
                    g = dx
                else:
                    g = None
            elif layer[0] == "relu":
                g = g * (h > 0)
            else:
                g = g.reshape(h.shape)
            if g is None:
                break
        return loss, grads[::-1]  # collected last layer first, bias before weight

    def train_step(self, x, y):
        loss, grads = self._loss_and_grads(x, y)
        self.update(grads)
        return float(loss)

    def loss(self, x, y):
        logp = _log_softmax(self._forward(x))
        return float(-logp[np.arange(len(y)), y].mean())

    def logits(self, x):
        return self._forward(x)


# ---- benchmark cases ------------------------------------------------------------------------------


class EpochCase(Case):
    """One step = one epoch over the training set in shuffled mini-batches. The order of epoch e is
    numpy's default_rng(e).permutation, the same for every system. check(): the loss of the
    initial model on the first batch; extras(): test accuracy after the epochs run so far."""

    def __init__(self, trainer, data, batch):
        self.trainer, self.batch = trainer, batch
        self.x_train, self.y_train, self.x_test, self.y_test = data
        self.epoch = 0

    def check(self):
        return self.trainer.loss(self.x_train[:self.batch], self.y_train[:self.batch])

    def step(self):
        order = np.random.default_rng(self.epoch).permutation(len(self.y_train))
        self.epoch += 1
        losses = [self.trainer.train_step(self.x_train[i], self.y_train[i])
                  for i in np.split(order, range(self.batch, len(order), self.batch))]
        return float(np.mean(losses))

    def extras(self):
        predicted = self.trainer.logits(self.x_test).argmax(axis=1)
        return {f"test acc after {self.epoch} epochs": f"{100 * np.mean(predicted == self.y_test):.1f}%"}


class FixedBatchCase(Case):
    """One sample = `steps` consecutive training steps on the same batch (the cost of a step, not
    of data handling; back to back, as in a training loop); returns the last loss."""

    def __init__(self, trainer, x, y, steps=1):
        self.trainer, self.x, self.y, self.steps = trainer, x, y, steps

    def check(self):
        return self.trainer.loss(self.x, self.y)

    def step(self):
        for _ in range(self.steps):
            loss = self.trainer.train_step(self.x, self.y)
        return loss
