"""The model zoo: one module per model family of the book, each citing its section and equations."""
from .scalar_mlp import ScalarMLP
from .toy import TOY_DATA, TOY_PARAMETERS, ToyGraph, toy_domega0_closed_form, toy_model
