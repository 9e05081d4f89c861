"""tinygrad_udl: Understanding Deep Learning (Prince), executable.

The autograd API: `Value` (one node per number, chapter 7) and `Tensor` (numpy arrays), with
`backward()`, `no_grad()`, the functional transforms (`grad`, `jacobian`, `hessian`, `hvp`, ...)
and module-level functions that work on both engines (`tinygrad_udl.sin(x)`).
"""
from . import allocator  # keeps freed array memory for reuse (see allocator.py); first, before any arrays
from .autograd.functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .autograd.graph import GraphFreedError, ModifiedInPlaceError, enable_grad, is_grad_enabled, no_grad, zero_grad
from .autograd.tensor import (ShapeError, Size, Tensor, arange, cat, concatenate, default_rng, dot, einsum, eye,
                              from_numpy, full, full_like, get_default_dtype, linspace, manual_seed, matmul, maximum,
                              minimum, one_hot, ones, ones_like, outer, rand, rand_like, randn, randn_like,
                              set_default_dtype, split, stack, tensor, uniform, where, zeros, zeros_like)
from .autograd.value import Value, from_values, to_values
from .autograd.array_ops import *  # noqa: F401,F403  (cumsum, sort, topk, take_along_axis, ...)
from .autograd import interop  # noqa: F401  (np.sin(t), np.sum(t) stay on the graph, or raise)
from .ops import *  # noqa: F401,F403  (exp, log, sin, ... for Values and Tensors alike)
from .serialization import SerializationError, load, save
from .gradcheck import GradcheckError, GradcheckReport, check_module, gradcheck
from .viz import draw_graph, record_modules, trace_backward
from .viz import save as save_graph  # `save` is the state-dict save
from . import distributions, linalg, nn, optim
from .nn.utils import functional_call, parameters_to_vector, vector_to_parameters
from .compile import compile  # noqa: A001  (records a training step, replays it on arrays)

__version__ = "0.1.0"
