"""Chapter 16: normalizing flows -- invertible layers with tractable Jacobian determinants, and
density models built from them (docs/flows.md).

    layer.forward(z) -> x   layer.inverse(x) -> z   layer.log_abs_det_jacobian(z)   (eq. 16.3)

Layers: `LULinearFlow` (eq. 16.9), `LeakyReLUFlow`, `SigmoidFlow`, `PiecewiseLinearFlow` (eqs.
16.10-16.12), `AffineCoupling` (eqs. 16.13-16.14), `MaskedAffineAutoregressive` (eqs. 16.15-16.17),
`InvertibleResidual` (eqs. 16.20-16.22); `FlowSequence`, `InverseFlow`, `Permutation` to combine
them. Models (`NormalizingFlow`: model(x) = log Pr(x)): `LinearElementwiseFlow`, `RealNVP`,
`MaskedAutoregressiveFlow`, `ResidualFlow`.
"""
from .autoregressive import MADE, MaskedAffineAutoregressive, MaskedAutoregressiveFlow, MaskedLinear
from .base import FlowLayer, FlowSequence, InverseFlow, Permutation
from .coupling import AffineCoupling, RealNVP
from .density import NormalizingFlow, negative_log_likelihood
from .elementwise import (LeakyReLUFlow, LinearElementwiseFlow, PiecewiseLinearFlow, SigmoidFlow,
                          piecewise_linear_on_reals)
from .linear import LULinearFlow
from .residual import InvertibleResidual, ResidualFlow, log_det_power_series, spectral_norm

__all__ = ["FlowLayer", "FlowSequence", "InverseFlow", "Permutation", "LULinearFlow", "LeakyReLUFlow", "SigmoidFlow",
           "PiecewiseLinearFlow", "piecewise_linear_on_reals", "AffineCoupling", "MaskedLinear", "MADE",
           "MaskedAffineAutoregressive", "InvertibleResidual", "log_det_power_series", "spectral_norm",
           "NormalizingFlow", "negative_log_likelihood", "LinearElementwiseFlow", "RealNVP", "MaskedAutoregressiveFlow",
           "ResidualFlow"]
