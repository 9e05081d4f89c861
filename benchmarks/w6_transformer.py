"""W6: one pre-LN transformer encoder layer (chapter 12), forward + backward, float32.

Batch 16, sequence 32, d_model 64, 4 heads of 16, MLP 256 with ReLU, no dropout, layer norm first
(fig. 12.7's residual blocks with the normalisation inside the branch):

    h = x + MHSA(LN1(x))          MHSA: softmax(Q K^T / sqrt(16)) V per head, then the output map
    y = h + W2 relu(W1 LN2(h) + b1) + b2

One step = forward, loss = mean(y^2), backward into every parameter, gradients cleared; no update.
Parameters use PyTorch's `nn.TransformerEncoderLayer` names and layouts (self_attn.in_proj_weight
(192, 64) holding W_q, W_k, W_v, ...) and the same values in every system. tinygrad_udl runs
`nn.TransformerEncoderLayer(norm_first=True)` (eagerly, and the same iteration through
`tinygrad_udl.compile`) and the same layer composed from Tensor ops (matmul, softmax, mean/var
layer norm). HIPS autograd and JAX (`jax.jit` of `jax.value_and_grad`) differentiate one
functional form of the layer, written once for any numpy-like module (the `xp_*` functions).
"""
from __future__ import annotations

import functools
import math

from .harness import AUTOGRAD, JAX, NUMPY, OURS, TORCH, Case, SystemCase, Workload

B, T, D, H, FF = 16, 32, 64, 4, 256
EPS = 1e-5
NAMES = ("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
         "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
         "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")


@functools.cache
def setup():
    """(x, {name: array}): the input batch and the parameters, float32, seeded. Weights N(0, 1/fan_in);
    biases and the layer norms' affine parameters perturbed from 0 and 1 so every gradient is non-trivial."""
    import numpy as np

    rng = np.random.default_rng(0)
    shapes = {"self_attn.in_proj_weight": (3 * D, D), "self_attn.in_proj_bias": (3 * D,),
              "self_attn.out_proj.weight": (D, D), "self_attn.out_proj.bias": (D,),
              "linear1.weight": (FF, D), "linear1.bias": (FF,), "linear2.weight": (D, FF), "linear2.bias": (D,),
              "norm1.weight": (D,), "norm1.bias": (D,), "norm2.weight": (D,), "norm2.bias": (D,)}
    params = {}
    for name in NAMES:
        shape = shapes[name]
        if len(shape) == 2:
            value = rng.standard_normal(shape) / math.sqrt(shape[1])
        else:
            value = 0.1 * rng.standard_normal(shape) + (1.0 if name.startswith("norm") and name.endswith("weight")
                                                         else 0.0)
        params[name] = value.astype(np.float32)
    return rng.standard_normal((B, T, D)).astype(np.float32), params


# Iterations per timed sample, back to back: one ~5 ms iteration right after the harness's settle
# pause would mostly time waking the BLAS/OpenMP threads and warming the caches.
ITERATIONS_PER_SAMPLE = 10


class LayerCase(Case):
    """check(): the loss and the sum of squared gradients of one iteration; step(): a sample of
    ITERATIONS_PER_SAMPLE iterations."""

    def check(self):
        loss, grads = self.iteration()
        return loss, float(sum((g.astype("float64") ** 2).sum() for g in grads))

    def step(self):
        for _ in range(ITERATIONS_PER_SAMPLE):
            self.iteration()


# ---- tinygrad_udl ---------------------------------------------------------------------------------


def _split_heads(t):
    return t.reshape(B, T, H, D // H).transpose(0, 2, 1, 3)  # (B, H, T, D/H)


def _ours_layer_norm(x, w, b):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    return xc / ((xc * xc).mean(axis=-1, keepdims=True) + EPS).sqrt() * w + b


def ours_composed_forward(x, p):
    """The layer from tinygrad_udl Tensor ops (`p`: name -> Tensor)."""
    y = _ours_layer_norm(x, p["norm1.weight"], p["norm1.bias"])
    qkv = y @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"]
    q, k, v = (_split_heads(qkv[:, :, i * D:(i + 1) * D]) for i in range(3))
    att = (q @ k.swapaxes(-1, -2) * (1.0 / math.sqrt(D // H))).softmax(axis=-1)
    o = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    h = x + o @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"]
    z = _ours_layer_norm(h, p["norm2.weight"], p["norm2.bias"])
    f = (z @ p["linear1.weight"].T + p["linear1.bias"]).relu() @ p["linear2.weight"].T + p["linear2.bias"]
    return h + f


class OursComposed(LayerCase):
    def __init__(self):
        import tinygrad_udl as tg

        self.tg = tg
        x, params = setup()
        self.x = tg.Tensor(x)
        self.params = {k: tg.Tensor(v.copy(), requires_grad=True) for k, v in params.items()}

    def iteration(self):
        out = ours_composed_forward(self.x, self.params)
        loss = (out * out).mean()
        loss.backward()
        grads = [self.params[k].grad.data for k in NAMES]
        self.tg.zero_grad(self.params.values())
        return loss.item(), grads


class OursNN(LayerCase):
    def __init__(self):
        import tinygrad_udl as tg
        from tinygrad_udl import nn

        self.tg = tg
        x, params = setup()
        self.x = tg.Tensor(x)
        self.layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation="relu", batch_first=True,
                                                norm_first=True)
        self.layer.load_state_dict({k: v.copy() for k, v in params.items()})
        self.named = dict(self.layer.named_parameters())

    def iteration(self):
        return self.forward_backward(self.x)

    def forward_backward(self, x):
        out = self.layer(x)
        loss = (out * out).mean()
        loss.backward()
        grads = [self.named[k].grad.data for k in NAMES]
        self.layer.zero_grad()
        return loss.item(), grads


class OursCompiled(OursNN):
    """OursNN's iteration through `tinygrad_udl.compile` (the input batch is its argument, so it is
    read at every replay, not baked in): traced twice, then replayed on arrays."""

    def __init__(self):
        super().__init__()
        self.forward_backward = self.tg.compile(self.forward_backward)


# ---- PyTorch --------------------------------------------------------------------------------------


class Torch(LayerCase):
    def __init__(self):
        import torch

        x, params = setup()
        self.x = torch.from_numpy(x)
        self.layer = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation="relu", batch_first=True,
                                                      norm_first=True)
        self.layer.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
        self.named = dict(self.layer.named_parameters())

    def iteration(self):
        out = self.layer(self.x)
        loss = (out * out).mean()
        loss.backward()
        grads = [self.named[k].grad.numpy().copy() for k in NAMES]
        self.layer.zero_grad()
        return loss.item(), grads


# ---- functional form: HIPS autograd and JAX -------------------------------------------------------


def xp_layer_norm(xp, x, w, b):
    """Layer norm over the last axis with the numpy-like module `xp` (autograd.numpy, jax.numpy)."""
    xc = x - xp.mean(x, axis=-1, keepdims=True)
    return xc / xp.sqrt(xp.mean(xc * xc, axis=-1, keepdims=True) + EPS) * w + b


def xp_self_attention(xp, softmax, x, w_in, b_in, w_out, b_out, mask=None):
    """Multi-head self-attention of x (N, L, D) with H heads, PyTorch's packed in_proj layout;
    `softmax(s)` over the last axis; `mask` (L, L) added to the scores (-inf where blocked)."""
    n, length, d = x.shape
    qkv = x @ w_in.T + b_in
    q, k, v = (xp.transpose(xp.reshape(qkv[:, :, i * d:(i + 1) * d], (n, length, H, d // H)), (0, 2, 1, 3))
               for i in range(3))
    s = q @ xp.swapaxes(k, -1, -2) * (1.0 / math.sqrt(d // H))
    if mask is not None:
        s = s + mask
    o = xp.reshape(xp.transpose(softmax(s) @ v, (0, 2, 1, 3)), (n, length, d))
    return o @ w_out.T + b_out


def xp_layer_loss(xp, softmax, params, x):
    """mean(y^2) of the pre-LN layer, `params` in NAMES order."""
    w_in, b_in, w_out, b_out, w1, b1, w2, b2, g1, be1, g2, be2 = params
    h = x + xp_self_attention(xp, softmax, xp_layer_norm(xp, x, g1, be1), w_in, b_in, w_out, b_out)
    z = xp_layer_norm(xp, h, g2, be2)
    out = h + xp.maximum(z @ w1.T + b1, 0) @ w2.T + b2
    return xp.mean(out * out)


class Autograd(LayerCase):
    def __init__(self):
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        self.x, params = setup()
        self.params = [params[k].copy() for k in NAMES]

        def softmax(s):
            return anp.exp(s - logsumexp(s, axis=-1, keepdims=True))

        self.value_and_grad = autograd.value_and_grad(functools.partial(xp_layer_loss, anp, softmax))

    def iteration(self):
        loss, grads = self.value_and_grad(self.params, self.x)
        return float(loss), grads


class Jax(LayerCase):
    """`jax.jit` of `jax.value_and_grad` of the functional layer; parameters and batch placed on the
    device once. Reading the loss and the gradients as numpy waits for the computation (JAX
    dispatches asynchronously), inside the timed iteration."""

    def __init__(self):
        import jax
        import jax.numpy as jnp
        import numpy as np

        self.np = np
        x, params = setup()
        self.x = jax.device_put(x)
        self.params = [jax.device_put(params[k]) for k in NAMES]
        softmax = functools.partial(jax.nn.softmax, axis=-1)
        self.value_and_grad = jax.jit(jax.value_and_grad(functools.partial(xp_layer_loss, jnp, softmax)))

    def iteration(self):
        loss, grads = self.value_and_grad(self.params, self.x)
        return float(loss), [self.np.asarray(g) for g in grads]


# ---- numpy by hand --------------------------------------------------------------------------------


def _np_layer_norm(x, w, b):
    import numpy as np

    xc = x - x.mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + EPS)
    xh = xc * rstd
    return xh * w + b, (xh, rstd, w)


def _np_layer_norm_backward(dy, cache):
    xh, rstd, w = cache
    dxh = dy * w
    dx = rstd * (dxh - dxh.mean(axis=-1, keepdims=True) - xh * (dxh * xh).mean(axis=-1, keepdims=True))
    return dx, (dy * xh).sum(axis=(0, 1)), dy.sum(axis=(0, 1))


def _weight_grad(dy, x):
    """sum over batch and time of dy^T x: one (out, in) matmul over the flattened rows."""
    return dy.reshape(-1, dy.shape[-1]).T @ x.reshape(-1, x.shape[-1])


class Numpy(LayerCase):
    """Forward and backward written out by hand: the floor."""

    def __init__(self):
        self.x, params = setup()
        self.params = [params[k].copy() for k in NAMES]

    def iteration(self):
        import numpy as np

        w_in, b_in, w_out, b_out, w1, b1, w2, b2, g1, be1, g2, be2 = self.params
        x, dh_ = self.x, D // H
        scale = 1.0 / math.sqrt(dh_)
        y, ln1 = _np_layer_norm(x, g1, be1)
        qkv = y @ w_in.T + b_in
        q, k, v = (qkv[:, :, i * D:(i + 1) * D].reshape(B, T, H, dh_).transpose(0, 2, 1, 3) for i in range(3))
        s = q @ k.swapaxes(-1, -2) * scale
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        att = e / e.sum(axis=-1, keepdims=True)
        o = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
        h = x + o @ w_out.T + b_out
        z, ln2 = _np_layer_norm(h, g2, be2)
        u = z @ w1.T + b1
        r = np.maximum(u, 0)
        out = h + r @ w2.T + b2
        loss = float((out * out).mean())
        # backward
        dout = out * (2.0 / out.size)
        dw2, db2 = _weight_grad(dout, r), dout.sum(axis=(0, 1))
        du = (dout @ w2) * (u > 0)
        dw1, db1 = _weight_grad(du, z), du.sum(axis=(0, 1))
        dz, dg2, dbe2 = _np_layer_norm_backward(du @ w1, ln2)
        dh = dout + dz
        dw_out, db_out = _weight_grad(dh, o), dh.sum(axis=(0, 1))
        do = (dh @ w_out).reshape(B, T, H, dh_).transpose(0, 2, 1, 3)
        datt = do @ v.swapaxes(-1, -2)
        dv = att.swapaxes(-1, -2) @ do
        ds = att * (datt - (datt * att).sum(axis=-1, keepdims=True)) * scale
        dq, dk = ds @ k, ds.swapaxes(-1, -2) @ q
        dqkv = np.concatenate([t.transpose(0, 2, 1, 3).reshape(B, T, D) for t in (dq, dk, dv)], axis=-1)
        dw_in, db_in = _weight_grad(dqkv, y), dqkv.sum(axis=(0, 1))
        _, dg1, dbe1 = _np_layer_norm_backward(dqkv @ w_in, ln1)
        return loss, [dw_in, db_in, dw_out, db_out, dw1, db1, dw2, db2, dg1, dbe1, dg2, dbe2]


def workloads(quick):
    return [Workload(
        key="W6", title=f"pre-LN transformer encoder layer, batch {B}, seq {T}, d_model {D}, {H} heads, MLP {FF}: "
                        "forward + backward (float32)",
        unit="ms/iter", unit_scale=1e3, repeats=8 if quick else 30, warmup=3, memory_steps=3,
        inner=ITERATIONS_PER_SAMPLE,
        check_rtol=1e-4, prepare=setup,
        cases=[
            SystemCase(OURS, OursNN, note="nn.TransformerEncoderLayer(norm_first=True)"),
            SystemCase(f"{OURS} compiled", OursCompiled, note="the same through tinygrad_udl.compile"),
            SystemCase(f"{OURS} composed", OursComposed, note="Tensor ops"),
            SystemCase(TORCH, Torch, requires="torch", note="nn.TransformerEncoderLayer(norm_first=True)"),
            SystemCase(AUTOGRAD, Autograd, requires="autograd"),
            SystemCase(JAX, Jax, requires="jax", note="jax.jit(value_and_grad)"),
            SystemCase(NUMPY, Numpy),
        ])]
