"""Training in a random subspace and the intrinsic dimension (section 20.3.2, fig. 20.6).

Li et al. (2018a) "constrained [the parameters] to lie within a random subspace": with φ₀ the
initial parameters and P a fixed random |φ| × D_s matrix, only the D_s coordinates d are trained,

    φ = φ₀ + P d,          d = 0 at the start,

and the *intrinsic dimension* is the smallest D_s whose model reaches 90 % of the performance of
the unconstrained one. P's columns are Gaussian, normalised to unit length (as Li et al. do), so a
step in d moves φ by about as much.

`SubspaceModel(model, dimension, rng)` is a `Module` whose one parameter is d: it runs `model`
with the parameters φ₀ + P d (`functional_call`), so `fit` and the optimizers train it as any model.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..checks import as_generator
from ..nn.module import Module, Parameter
from ..nn.utils import functional_call, vector_to_tensors
from .common import parameter_vector


class SubspaceModel(Module):
    """`SubspaceModel(model, dimension, rng=0)`: `model` restricted to φ₀ + P d (fig. 20.6).

    `d` (the only parameter, zeros at the start) has `dimension` entries; φ₀ is `model`'s current
    parameters, P a random |φ| × dimension matrix with unit columns drawn from `rng`. The wrapped
    model is not a submodule: its own parameters are not trained, and are not changed.
    """

    def __init__(self, model, dimension, rng=0):
        super().__init__()
        dimension = int(dimension)
        if dimension < 1:
            raise ValueError(f"SubspaceModel: the dimension must be >= 1, got {dimension}")
        object.__setattr__(self, "_base", model)  # not registered: only d is a parameter
        self._names, self._params = zip(*model.named_parameters())
        dtype = self._params[0].dtype
        gen = as_generator(rng, "SubspaceModel")
        P = gen.standard_normal((len(parameter_vector(model)), dimension))
        P /= np.linalg.norm(P, axis=0, keepdims=True)
        self._phi0 = Tensor(parameter_vector(model).astype(dtype))
        self._P = Tensor(P.astype(dtype))
        self.d = Parameter(np.zeros(dimension, dtype=dtype))

    @property
    def dimension(self) -> int:
        return int(self.d.shape[0])

    def vector(self):
        """φ₀ + P d as a Tensor (differentiable in d)."""
        return self._phi0 + self._P @ self.d

    def forward(self, x):
        params = dict(zip(self._names, vector_to_tensors(self.vector(), self._params)))
        return functional_call(self._base, params, x)

    def train(self, mode=True):
        self._base.train(mode)
        return super().train(mode)
