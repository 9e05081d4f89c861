"""`nn.functional` (import as `F`): every layer and loss of `nn` as a plain function.

The functions live beside their modules (activation.py, linear.py, dropout.py, loss.py, conv.py,
pooling.py, normalization.py, attention.py, gnn.py); this
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
from .attention import attention, causal_mask, scaled_dot_product_attention, sinusoidal_position_encoding
from .conv import (col2im, conv1d, conv2d, conv_output_size, conv_transpose1d, conv_transpose2d, fold,
                   im2col, pad_nd, unfold)
from .gnn import gcn_conv, graph_attention, propagation_matrix
from .normalization import batch_norm, calibrate_batchnorm, group_norm, instance_norm, layer_norm
from .pooling import (avg_pool1d, avg_pool2d, interpolate, max_pool1d, max_pool2d, max_unpool1d,
                      max_unpool2d, upsample)

dropout2d = dropout_channels
