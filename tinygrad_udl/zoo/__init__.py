"""The model zoo: one module per model family of the book, each citing its section and equations.

`registry()` lists the trainable models of chapters 2-11 (what `tinygrad-udl zoo` prints and
`tinygrad-udl train NAME` trains); the classes can also be used directly.
"""
from .deep import DeepNetwork
from .fig7_8 import Fig78Run, fig7_8_rows, train_fig7_8
from .heads import BinaryClassifier, GaussianRegression, MulticlassClassifier
from .initialization import VarianceProfile, layer_variances, variance_propagation, variance_rows
from .linear_regression import LinearRegression, closed_form, least_squares_loss
from .mnist1d_cnn import MNIST1DCNN, MNIST1DFullyConnected
from .mnist1d_mlp import MNIST1DMLP
from .registry import ZooEntry, registry
from .regularization import Ensemble, MNIST1DDropoutMLP
from .resnet import ResidualBlock1d, ResNet1D
from .scalar_mlp import ScalarMLP
from .shallow import ShallowNetwork
from .toy import TOY_DATA, TOY_PARAMETERS, ToyGraph, toy_domega0_closed_form, toy_model
from .unet import UNet1d
