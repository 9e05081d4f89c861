"""W7: one training step of a GPT-style decoder (chapter 12): forward, backward and Adam, float32.

The zoo's `GPT` (section 12.7) at the size of `gpt-hamlet`: batch 32 windows of 64 characters of
Hamlet (vocabulary 65), token and learned position embeddings of width 64, two post-LN layers
(eq. 12.13) with 4 causal heads of 16 and an MLP of 256 ReLUs, an untied linear head:

    x = E[t] + P                                  (N, T, D)
    per layer: h = LN1(x + MHSA_causal(x)),  x = LN2(h + W2 relu(W1 h + b1) + b2)
    loss = mean cross-entropy of the next character at every position (fig. 12.12)

One step = forward, loss, backward into every parameter, one Adam step (lr 1e-3, PyTorch's
defaults), gradients cleared. Every system starts from the same parameters (the zoo model's
initialisation, seed 0, under its state-dict names) and the same batch; the check value is the
loss, the sum of squared gradients and the loss after the first Adam step. tinygrad_udl runs the
step eagerly and through `tinygrad_udl.compile`; JAX jits the whole step (forward,
`jax.value_and_grad`, Adam written out as PyTorch computes it: `adam_update`, shared with the
numpy floor and W8) on the functional layer of W6.
"""
from __future__ import annotations

import functools
import math

from .harness import JAX, NUMPY, OURS, TORCH, Case, SystemCase, Workload
from .w6_transformer import _np_layer_norm, _np_layer_norm_backward, _weight_grad, xp_layer_norm, xp_self_attention

B, T, D, H, FF, LAYERS = 32, 64, 64, 4, 256, 2
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
LAYER_NAMES = ("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
               "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
               "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")
NAMES = ("embedding.token.weight", "embedding.position.weight",
         *(f"transformer.layers.{i}.{name}" for i in range(LAYERS) for name in LAYER_NAMES),
         "head.weight", "head.bias")


@functools.cache
def setup():
    """(tokens, targets, {name: array}): the first 32 training windows of gpt-hamlet's data and the
    zoo GPT's initial parameters (seed 0), float32."""
    from tinygrad_udl.zoo.transformers.gpt import GPT
    from tinygrad_udl.text import char_vocabulary, encode_chars, load_text, next_token_windows

    text = load_text()
    vocab = char_vocabulary(text)
    tokens, targets = next_token_windows(encode_chars(text, vocab)[: B * T + 1], T)
    model = GPT(len(vocab), T, d_model=D, nhead=H, num_layers=LAYERS, dim_feedforward=FF, rng=0)
    return tokens, targets, model.state_dict()


def adam_corrections(t, lr=LR):
    """PyTorch's scalars for Adam's step t, computed in Python floats as torch.optim.Adam does:
    the step size lr / (1 - β1^t) and √(1 - β2^t)."""
    b1, b2 = BETAS
    return lr / (1 - b1 ** t), math.sqrt(1 - b2 ** t)


def adam_update(params, grads, m, v, step_size, root, sqrt):
    """One Adam step (eqs. 6.15-6.17) on lists of arrays, in torch.optim.Adam's arrangement,
    φ ← φ − step_size · m / (√v / root + ε) with (step_size, root) = `adam_corrections(t)`;
    `sqrt` is the array module's (numpy's, or jax.numpy's inside a jitted step). Returns the new
    (params, m, v)."""
    b1, b2 = BETAS
    m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
    v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads)]
    params = [p - step_size * (mi / (sqrt(vi) / root + EPS)) for p, mi, vi in zip(params, m, v)]
    return params, m, v


class StepCase(Case):
    """A system implements `train_step()` -> (loss, gradients in NAMES order): forward, backward and
    one Adam step; and `loss()`, the loss at the current parameters. check(): the first step's loss
    and sum of squared gradients, and the loss after its update; step(): one training step."""

    def check(self):
        loss, grads = self.train_step()
        return loss, float(sum((g.astype("float64") ** 2).sum() for g in grads)), self.loss()

    def step(self):
        self.train_step()


# ---- tinygrad_udl ---------------------------------------------------------------------------------


class Ours(StepCase):
    def __init__(self):
        import tinygrad_udl as tg
        from tinygrad_udl.nn.loss import cross_entropy
        from tinygrad_udl.optim import Adam
        from tinygrad_udl.zoo.transformers.gpt import GPT

        self.tg = tg
        self.tokens, self.targets, params = setup()
        self.model = GPT(params["head.bias"].shape[0], T, d_model=D, nhead=H, num_layers=LAYERS, dim_feedforward=FF)
        self.model.load_state_dict({k: v.copy() for k, v in params.items()})
        self.optimizer = Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.cross_entropy = cross_entropy
        self.named = dict(self.model.named_parameters())

    def train_step(self):
        return self.step_on(self.tokens, self.targets)

    def step_on(self, tokens, targets):
        loss = self.cross_entropy(self.model(tokens), targets, axis=-1)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item(), [self.named[k].grad.data for k in NAMES]

    def loss(self):
        with self.tg.no_grad():
            return self.cross_entropy(self.model(self.tokens), self.targets, axis=-1).item()


class OursCompiled(Ours):
    """Ours's training step through `tinygrad_udl.compile` (the batch is its argument, read at every
    replay): traced twice, then replayed on arrays."""

    def __init__(self):
        super().__init__()
        self.step_on = self.tg.compile(self.step_on)


# ---- PyTorch --------------------------------------------------------------------------------------


def torch_gpt(vocab_size):
    """The same network from torch.nn, with the zoo's parameter names."""
    import torch
    from torch import nn

    class Embedding(nn.Module):
        def __init__(self):
            super().__init__()
            self.token, self.position = nn.Embedding(vocab_size, D), nn.Embedding(T, D)

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation="relu",
                                                                   batch_first=True, norm_first=False)
                                        for _ in range(LAYERS))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding, self.transformer, self.head = Embedding(), Stack(), nn.Linear(D, vocab_size)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(T), persistent=False)

        def forward(self, tokens):
            x = self.embedding.token(tokens) + self.embedding.position.weight
            for layer in self.transformer.layers:
                x = layer(x, src_mask=self.mask, is_causal=True)
            return self.head(x)

    return GPT(), torch


class Torch(StepCase):
    def __init__(self):
        tokens, targets, params = setup()
        self.model, self.torch = torch_gpt(params["head.bias"].shape[0])
        self.model.load_state_dict({k: self.torch.from_numpy(v.copy()) for k, v in params.items()})
        self.tokens, self.targets = self.torch.from_numpy(tokens), self.torch.from_numpy(targets)
        self.optimizer = self.torch.optim.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.named = dict(self.model.named_parameters())

    def _loss(self):
        logits = self.model(self.tokens)
        return self.torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.targets.reshape(-1))

    def train_step(self):
        loss = self._loss()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item(), [self.named[k].grad.numpy().copy() for k in NAMES]

    def loss(self):
        with self.torch.no_grad():
            return self._loss().item()


# ---- JAX ------------------------------------------------------------------------------------------


def jax_gpt_loss(params, tokens, targets):
    """The mean next-character cross-entropy of the GPT in jax.numpy, `params` in NAMES order."""
    import jax
    import jax.numpy as jnp

    p = dict(zip(NAMES, params))
    blocked = jnp.triu(jnp.ones((T, T), dtype=bool), k=1)                 # key m > query n (section 12.7.2)
    mask = jnp.where(blocked, -jnp.inf, 0.0).astype(jnp.float32)
    softmax = functools.partial(jax.nn.softmax, axis=-1)
    x = p["embedding.token.weight"][tokens] + p["embedding.position.weight"]
    for i in range(LAYERS):
        w = {name: p[f"transformer.layers.{i}.{name}"] for name in LAYER_NAMES}
        attended = xp_self_attention(jnp, softmax, x, w["self_attn.in_proj_weight"], w["self_attn.in_proj_bias"],
                                     w["self_attn.out_proj.weight"], w["self_attn.out_proj.bias"], mask)
        h = xp_layer_norm(jnp, x + attended, w["norm1.weight"], w["norm1.bias"])
        f = jnp.maximum(h @ w["linear1.weight"].T + w["linear1.bias"], 0) @ w["linear2.weight"].T + w["linear2.bias"]
        x = xp_layer_norm(jnp, h + f, w["norm2.weight"], w["norm2.bias"])
    log_probs = jax.nn.log_softmax(x @ p["head.weight"].T + p["head.bias"], axis=-1)
    return -jnp.mean(jnp.take_along_axis(log_probs, targets[..., None], axis=-1))


class Jax(StepCase):
    """One `jax.jit` function per training step: forward, `jax.value_and_grad`, Adam (`adam_update`).
    Parameters and Adam's moments are donated to the step (updated in place, as a careful JAX user
    writes it); the batch is placed on the device once. Reading the loss as a float waits for the
    step (JAX dispatches asynchronously), inside the timed step."""

    def __init__(self):
        import jax
        import jax.numpy as jnp
        import numpy as np

        self.np = np
        tokens, targets, params = setup()
        self.tokens, self.targets = jax.device_put(tokens), jax.device_put(targets)
        self.params = [jax.device_put(params[k]) for k in NAMES]
        self.m = [jnp.zeros_like(p) for p in self.params]
        self.v = [jnp.zeros_like(p) for p in self.params]
        self.t = 0

        def step(params, m, v, step_size, root, tokens, targets):
            loss, grads = jax.value_and_grad(jax_gpt_loss)(params, tokens, targets)
            params, m, v = adam_update(params, grads, m, v, step_size, root, jnp.sqrt)
            return params, m, v, loss, grads

        self.jit_step = jax.jit(step, donate_argnums=(0, 1, 2))
        self.jit_loss = jax.jit(jax_gpt_loss)

    def train_step(self):
        self.t += 1
        self.params, self.m, self.v, loss, grads = self.jit_step(self.params, self.m, self.v,
                                                                 *adam_corrections(self.t), self.tokens, self.targets)
        return float(loss), grads

    def check(self):
        loss, grads = self.train_step()
        grads = [self.np.asarray(g) for g in grads]   # float64 sums in numpy (JAX computes in float32)
        return loss, float(sum((g.astype("float64") ** 2).sum() for g in grads)), self.loss()

    def loss(self):
        return float(self.jit_loss(self.params, self.tokens, self.targets))


# ---- numpy by hand --------------------------------------------------------------------------------


class Numpy(StepCase):
    """Forward, backward and Adam written out by hand: the floor."""

    def __init__(self):
        import numpy as np

        self.np = np
        self.tokens, self.targets, params = setup()
        self.params = {k: params[k].copy() for k in NAMES}
        self.m = [np.zeros_like(params[k]) for k in NAMES]
        self.v = [np.zeros_like(params[k]) for k in NAMES]
        self.t = 0
        blocked = np.triu(np.ones((T, T), dtype=bool), k=1)                # key m > query n (section 12.7.2)
        self.mask = np.where(blocked, -np.inf, 0.0).astype(np.float32)

    def _layer_forward(self, x, p):
        np = self.np
        dh = D // H
        qkv = x @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"]
        q, k, v = (qkv[:, :, i * D:(i + 1) * D].reshape(B, T, H, dh).transpose(0, 2, 1, 3) for i in range(3))
        s = q @ k.swapaxes(-1, -2) * (1.0 / math.sqrt(dh)) + self.mask
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        att = e / e.sum(axis=-1, keepdims=True)
        o = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
        h, ln1 = _np_layer_norm(x + o @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"],
                                p["norm1.weight"], p["norm1.bias"])
        u = h @ p["linear1.weight"].T + p["linear1.bias"]
        r = np.maximum(u, 0)
        out, ln2 = _np_layer_norm(h + r @ p["linear2.weight"].T + p["linear2.bias"], p["norm2.weight"], p["norm2.bias"])
        return out, (x, q, k, v, att, o, h, ln1, u, r, ln2)

    def _layer_backward(self, dout, p, cache):
        np = self.np
        x, q, k, v, att, o, h, ln1, u, r, ln2 = cache
        dh_ = D // H
        g = {}
        dz2, g["norm2.weight"], g["norm2.bias"] = _np_layer_norm_backward(dout, ln2)
        g["linear2.weight"], g["linear2.bias"] = _weight_grad(dz2, r), dz2.sum(axis=(0, 1))
        du = (dz2 @ p["linear2.weight"]) * (u > 0)
        g["linear1.weight"], g["linear1.bias"] = _weight_grad(du, h), du.sum(axis=(0, 1))
        dz1, g["norm1.weight"], g["norm1.bias"] = _np_layer_norm_backward(dz2 + du @ p["linear1.weight"], ln1)
        g["self_attn.out_proj.weight"], g["self_attn.out_proj.bias"] = _weight_grad(dz1, o), dz1.sum(axis=(0, 1))
        do = (dz1 @ p["self_attn.out_proj.weight"]).reshape(B, T, H, dh_).transpose(0, 2, 1, 3)
        datt = do @ v.swapaxes(-1, -2)
        dv = att.swapaxes(-1, -2) @ do
        ds = att * (datt - (datt * att).sum(axis=-1, keepdims=True)) * (1.0 / math.sqrt(dh_))
        dq, dk = ds @ k, ds.swapaxes(-1, -2) @ q
        dqkv = np.concatenate([t.transpose(0, 2, 1, 3).reshape(B, T, D) for t in (dq, dk, dv)], axis=-1)
        g["self_attn.in_proj_weight"], g["self_attn.in_proj_bias"] = _weight_grad(dqkv, x), dqkv.sum(axis=(0, 1))
        return dz1 + dqkv @ p["self_attn.in_proj_weight"], g

    def loss_and_grads(self):
        np, p = self.np, self.params
        x = p["embedding.token.weight"][self.tokens] + p["embedding.position.weight"]
        caches = []
        for i in range(LAYERS):
            layer = {name: p[f"transformer.layers.{i}.{name}"] for name in LAYER_NAMES}
            x, cache = self._layer_forward(x, layer)
            caches.append((layer, cache))
        logits = x @ p["head.weight"].T + p["head.bias"]
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, self.targets[..., None], axis=-1)
        loss = float(-picked.mean())
        # backward
        grads = {}
        dlogits = np.exp(log_probs)
        np.put_along_axis(dlogits, self.targets[..., None], np.take_along_axis(dlogits, self.targets[..., None],
                                                                              axis=-1) - 1.0, axis=-1)
        dlogits /= B * T
        grads["head.weight"], grads["head.bias"] = _weight_grad(dlogits, x), dlogits.sum(axis=(0, 1))
        dx = dlogits @ p["head.weight"]
        for i in reversed(range(LAYERS)):
            dx, layer_grads = self._layer_backward(dx, *caches[i])
            grads.update({f"transformer.layers.{i}.{name}": value for name, value in layer_grads.items()})
        grads["embedding.position.weight"] = dx.sum(axis=0)
        token_grad = np.zeros_like(p["embedding.token.weight"])
        np.add.at(token_grad, self.tokens, dx)
        grads["embedding.token.weight"] = token_grad
        return loss, [grads[k] for k in NAMES]

    def train_step(self):
        loss, grads = self.loss_and_grads()
        self.t += 1
        params, self.m, self.v = adam_update([self.params[k] for k in NAMES], grads, self.m, self.v,
                                             *adam_corrections(self.t), self.np.sqrt)
        self.params = dict(zip(NAMES, params))
        return loss, grads

    def loss(self):
        return self.loss_and_grads()[0]   # (the check's second loss; its gradients unused)


def workloads(quick):
    return [Workload(
        key="W7", title=f"GPT training step (zoo gpt-hamlet): batch {B}, context {T}, vocabulary 65, d_model {D}, "
                        f"{H} heads, {LAYERS} post-LN layers, MLP {FF}; forward + backward + Adam (float32)",
        unit="ms/step", unit_scale=1e3, repeats=6 if quick else 20, warmup=2, memory_steps=2,
        check_rtol=1e-4, prepare=setup,
        cases=[
            SystemCase(OURS, Ours, note="zoo.transformers.GPT + optim.Adam"),
            SystemCase(f"{OURS} compiled", OursCompiled, note="the same through tinygrad_udl.compile"),
            SystemCase(TORCH, Torch, requires="torch", note="nn.TransformerEncoderLayer x2 + optim.Adam"),
            SystemCase(JAX, Jax, requires="jax", note="jax.jit of the step, Adam written out"),
            SystemCase(NUMPY, Numpy),
        ])]
