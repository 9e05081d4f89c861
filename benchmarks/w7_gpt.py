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
loss, the sum of squared gradients and the loss after the first Adam step.
"""
from __future__ import annotations

import functools
import math

from .harness import NUMPY, OURS, TORCH, Case, SystemCase, Workload
from .w6_transformer import _np_layer_norm, _np_layer_norm_backward, _weight_grad

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


class StepCase(Case):
    """A system implements `loss_and_grads()` -> (loss, gradients in NAMES order) and `update()`, the
    Adam step with those gradients. check(): the first step's loss and sum of squared gradients,
    and the loss after its update; step(): one training step."""

    def iteration(self):
        loss, grads = self.loss_and_grads()
        self.update()
        return loss, grads

    def check(self):
        loss, grads = self.iteration()
        after, _ = self.loss_and_grads()
        return loss, float(sum((g.astype("float64") ** 2).sum() for g in grads)), after

    def step(self):
        self.iteration()


# ---- tinygrad_udl ---------------------------------------------------------------------------------


class Ours(StepCase):
    def __init__(self):
        from tinygrad_udl.nn.loss import cross_entropy
        from tinygrad_udl.optim import Adam
        from tinygrad_udl.zoo.transformers.gpt import GPT

        self.tokens, self.targets, params = setup()
        self.model = GPT(params["head.bias"].shape[0], T, d_model=D, nhead=H, num_layers=LAYERS, dim_feedforward=FF)
        self.model.load_state_dict({k: v.copy() for k, v in params.items()})
        self.optimizer = Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.cross_entropy = cross_entropy
        self.named = dict(self.model.named_parameters())

    def loss_and_grads(self):
        loss = self.cross_entropy(self.model(self.tokens), self.targets, axis=-1)
        self.optimizer.zero_grad()
        loss.backward()
        return loss.item(), [self.named[k].grad.data for k in NAMES]

    def update(self):
        self.optimizer.step()


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

    def loss_and_grads(self):
        logits = self.model(self.tokens)
        loss = self.torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.targets.reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        return loss.item(), [self.named[k].grad.numpy().copy() for k in NAMES]

    def update(self):
        self.optimizer.step()


# ---- numpy by hand --------------------------------------------------------------------------------


class Numpy(StepCase):
    """Forward, backward and Adam written out by hand: the floor."""

    def __init__(self):
        import numpy as np

        self.np = np
        self.tokens, self.targets, params = setup()
        self.params = {k: params[k].copy() for k in NAMES}
        self.m = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.params.items()}
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
        self.grads = [grads[k] for k in NAMES]
        return loss, self.grads

    def update(self):
        """Adam, eqs. 6.15-6.17, with PyTorch's placement of ε: φ ← φ − α m̂ / (√v̂ + ε)."""
        np = self.np
        self.t += 1
        b1, b2 = BETAS
        for k, g in zip(NAMES, self.grads):
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            m_hat = self.m[k] / (1 - b1 ** self.t)
            v_hat = self.v[k] / (1 - b2 ** self.t)
            self.params[k] -= (LR * m_hat / (np.sqrt(v_hat) + EPS)).astype(np.float32)


def workloads(quick):
    return [Workload(
        key="W7", title=f"GPT training step (zoo gpt-hamlet): batch {B}, context {T}, vocabulary 65, d_model {D}, "
                        f"{H} heads, {LAYERS} post-LN layers, MLP {FF}; forward + backward + Adam (float32)",
        unit="ms/step", unit_scale=1e3, repeats=6 if quick else 20, warmup=2, memory_steps=2,
        check_rtol=1e-4, prepare=setup,
        cases=[
            SystemCase(OURS, Ours, note="zoo.transformers.GPT + optim.Adam"),
            SystemCase(TORCH, Torch, requires="torch", note="nn.TransformerEncoderLayer x2 + optim.Adam"),
            SystemCase(NUMPY, Numpy),
        ])]
