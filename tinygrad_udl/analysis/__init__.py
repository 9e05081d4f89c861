"""Chapter 8, 9, 11 and 20's analysis tools, and (in `experiments/`) the book's experiments as sweeps.

- `bias_variance`: the simplified shallow network of fig. 8.4 in closed form; noise, bias and
  variance (eqs. 8.4-8.7, figs. 8.5-8.9).
- `residual`: variance through residual blocks (fig. 11.6) and batch norm's gradient growth (P11.10).
- `hessian`: Hessian-vector products over the parameter vector, Lanczos iteration, extreme
  eigenvalues and spectral densities without forming the Hessian (figs. 20.8-20.9).
- `landscape`: the loss along straight lines in parameter space (fig. 20.5).
- `subspace`: training in a random subspace, the intrinsic dimension (fig. 20.6).
- `adversarial`: input gradients and the fast gradient sign method (fig. 20.14).
- `pruning`: magnitude masks, masked training, lottery tickets (fig. 20.15).
- `common`: MNIST-1D splits, label noise, parameter counts, a training loop.

The experiments run as sweeps (`tinygrad_udl.sweep`, `tinygrad-udl sweep NAME`); see docs/sweeps.md.
"""
from .adversarial import adversarial_errors, fgsm, input_gradient
from .bias_variance import bias_variance, fit_simplified, predict_simplified, simplified_features
from .common import mlp_parameters, randomize_labels, two_layer_width_for
from .hessian import (dense_hessian, extreme_eigenvalues, lanczos, loss_hvp, negative_fraction,
                      random_subspace_hessian, spectral_density)
from .landscape import barrier, loss_along_line
from .pruning import MaskedOptimizer, apply_masks, magnitude_masks, sparsity
from .residual import batchnorm_gradient_growth, residual_variances, theory_variances
from .subspace import SubspaceModel

__all__ = ["bias_variance", "fit_simplified", "predict_simplified", "simplified_features",
           "residual_variances", "theory_variances", "batchnorm_gradient_growth",
           "loss_hvp", "dense_hessian", "lanczos", "extreme_eigenvalues", "spectral_density", "negative_fraction",
           "random_subspace_hessian", "loss_along_line", "barrier", "SubspaceModel",
           "input_gradient", "fgsm", "adversarial_errors",
           "magnitude_masks", "apply_masks", "sparsity", "MaskedOptimizer",
           "mlp_parameters", "two_layer_width_for", "randomize_labels"]
