"""The model zoo: one module per model family of the book, each citing its section and equations,
in one folder per part of the book (`supervised/` for chapters 2-11, and so on).

`registry()` lists the trainable models (what `tinygrad-udl zoo` prints and `tinygrad-udl train
NAME` trains); the classes can also be used directly.
"""
import importlib as _importlib
import sys as _sys

from .registry import ZooEntry, registry
from .supervised.deep import DeepNetwork
from .supervised.fig7_8 import Fig78Run, fig7_8_rows, train_fig7_8
from .supervised.heads import BinaryClassifier, GaussianRegression, MulticlassClassifier
from .supervised.initialization import VarianceProfile, layer_variances, variance_propagation, variance_rows
from .supervised.linear_regression import LinearRegression, closed_form, least_squares_loss
from .supervised.mnist1d_cnn import MNIST1DCNN, MNIST1DFullyConnected
from .supervised.mnist1d_mlp import MNIST1DMLP
from .supervised.regularization import Ensemble, MNIST1DDropoutMLP
from .supervised.resnet import ResidualBlock1d, ResNet1D
from .supervised.scalar_mlp import ScalarMLP
from .supervised.shallow import ShallowNetwork
from .supervised.toy import TOY_DATA, TOY_PARAMETERS, ToyGraph, toy_domega0_closed_form, toy_model
from .supervised.unet import UNet1d

# The chapter 2-11 modules lived directly in `zoo/` before the zoo was split by the book's parts:
# `tinygrad_udl.zoo.toy` and the like still import (the same module objects, not copies).
for _name in ("deep", "fig7_8", "heads", "initialization", "linear_regression", "mnist1d_cnn", "mnist1d_mlp",
              "regularization", "resnet", "scalar_mlp", "shallow", "toy", "unet"):
    _sys.modules[f"{__name__}.{_name}"] = _importlib.import_module(f".supervised.{_name}", __name__)
