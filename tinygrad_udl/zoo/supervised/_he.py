"""The book's initialisation, applied explicitly by every zoo model (section 7.5).

He initialisation (eq. 7.30): weights with variance σ²_Ω = 2/D_h (D_h = fan-in: inputs of a
linear layer, C_in·K of a 1-D convolution) so that the variance of the pre-activations stays the
same from layer to layer through ReLUs (eqs. 7.26-7.29); biases 0. The book does not say whether
the weights are normal or uniform; its training code (fig. 7.8) and companion notebooks use
PyTorch's `kaiming_uniform_`, U(−√(6/D_h), +√(6/D_h)), which has that variance, so we do too.
Batch-norm scales γ start at 1 and offsets δ at 0 (fig. 11.6).
"""
from __future__ import annotations


from ...checks import as_generator
from ...nn import init
from ...nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from ...nn.linear import Linear

_WEIGHTED = (Linear, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d)



def he_init_(model, rng):
    """He-uniform weights (eq. 7.30) and zero biases for every Linear and convolution of `model`,
    drawn in module order from `rng`; returns the model."""
    gen = as_generator(rng, "zoo model")
    for module in model.modules():
        if isinstance(module, _WEIGHTED):
            init.he_uniform_(module.weight, rng=gen)
            if module.bias is not None:
                init.zeros_(module.bias)
    return model
