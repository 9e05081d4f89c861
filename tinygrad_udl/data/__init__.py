"""Data for the book's experiments: MNIST-1D, the small synthetic sets, densities with known
log-densities (chapters 14-18), scikit-learn's 8×8 digits, batching and augmentation.

Pure numpy (no dependency on the autograd engine). Every random function takes an explicit
numpy Generator or int seed.
"""
from .augment import add_noise, augment_1d, random_scale, random_shift
from .densities import GaussianMixture, ring_of_gaussians, two_moons
from .digits import load_digits
from .loader import DataLoader, k_fold, train_test_split, train_val_split
from .mnist1d import MNIST1D, load_mnist1d
from .synthetic import (gabor, make_gabor_1d, make_linear_1d, make_moons, make_quasi_sinusoid_1d,
                        make_spirals, quasi_sinusoid)

__all__ = [
    "MNIST1D", "load_mnist1d",
    "make_linear_1d", "gabor", "make_gabor_1d", "quasi_sinusoid", "make_quasi_sinusoid_1d",
    "make_moons", "make_spirals",
    "GaussianMixture", "ring_of_gaussians", "two_moons", "load_digits",
    "DataLoader", "train_test_split", "train_val_split", "k_fold",
    "random_shift", "random_scale", "add_noise", "augment_1d",
]
