"""`nn`: modules, layers, losses, initialisation and regularisation.

    from tinygrad_udl import nn
    from tinygrad_udl.nn import functional as F

    model = nn.Sequential(nn.Linear(10, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 5))
    loss = nn.MSELoss()(model(x), y)                 # fig. 7.8

Layout and conventions (docs/conventions.md, "Vector layout"): row batches (N×D), `Linear.weight` (out, in); losses
default to PyTorch's reduction="mean" (book reproductions pass "sum"); 0-based class labels.
"""
from . import functional, init, utils
from .activation import (CReLU, ELU, GELU, SELU, HardSwish, Heaviside, LeakyReLU, LogSoftmax, PReLU, ReLU, Rect,
                         Sigmoid, SiLU, Sin, Softmax, Softplus, Swish, Tanh)
from .dropout import Dropout, Dropout1d, Dropout2d
from .linear import Embedding, Flatten, Identity, Lambda, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, GaussianMixtureNLLLoss, GaussianNLLLoss, L1Loss,
                   MSELoss, NLLLoss, PoissonNLLLoss, VonMisesNLLLoss)
from .module import IncompatibleKeys, Module, ModuleDict, ModuleList, Parameter, Sequential, StateDictError
from .regularize import (EarlyStopping, WeightNoise, add_input_noise, add_weight_noise, gradient_norm_penalty,
                         is_weight, l1_penalty, l2_penalty, parameter_groups, weight_parameters)

from .attention import (LearnedPositionalEncoding, MultiheadAttention, SinusoidalPositionalEncoding,
                        TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer)
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .gnn import GCNConv, GraphAttention
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, MaxUnpool1d, MaxUnpool2d, Upsample
from .utils import functional_call, parameters_to_vector, vector_to_parameters, vector_to_tensors
