"""`nn.functional` (import as `F`): every layer and loss of `nn` as a plain function.

The functions live beside their modules (activation.py, linear.py, dropout.py, loss.py); this
module only gathers them under PyTorch's familiar names, so `F.relu(x)`, `F.cross_entropy(f, y)`
and `F.dropout(x, 0.5, rng=rng)` read as in PyTorch code.
"""
from .activation import (crelu, elu, gelu, hardswish, heaviside, leaky_relu, log_softmax, prelu, rect, relu, selu,
                         sigmoid, silu, softmax, softplus, swish, tanh)
from .dropout import dropout, dropout_channels
from .linear import embedding, linear
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, gaussian_mixture_nll_loss,
                   gaussian_nll_loss, kl_normal, l1_loss, log_i0, mse_loss, nll_loss, poisson_nll_loss,
                   von_mises_nll_loss)

dropout2d = dropout_channels

# ---- part B (convolution, pooling, normalisation, attention, graph layers) --------------------------
# The lead adds the imports of part B's functional forms here when those files land, e.g.
#   from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
#   from .pooling import max_pool1d, max_pool2d, avg_pool1d, avg_pool2d
#   from .normalization import batch_norm, layer_norm, group_norm, instance_norm
#   from .attention import scaled_dot_product_attention
