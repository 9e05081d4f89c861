"""Central finite differences in float64: the oracle that gradient tests compare against.

It never touches the engine: `f` maps a float64 numpy array to a number. The truncation error of
the central difference is O(eps^2) and the rounding error O(1e-16 / eps), so with eps = 1e-6 a
smooth function's derivative comes out to about 1e-9 relative -- far finer than the 0.1 % errors
the checks built on it must catch (tested in tests/tensor/test_tensor_checker.py).
"""
import numpy as np


def numerical_grad(f, x, eps=1e-6):
    """d f(x) / d x for a scalar function `f` of one array `x`, element by element:
    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), evaluated in float64."""
    x = np.array(x, dtype=np.float64)  # a private copy that is perturbed in place
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        centre = x[i]
        x[i] = centre + eps
        up = float(f(x.copy()))
        x[i] = centre - eps
        down = float(f(x.copy()))
        x[i] = centre
        grad[i] = (up - down) / (2 * eps)
    return grad


def directional_derivative(f, x, v, eps=1e-6):
    """J v for an array function `f` of one array `x`: (f(x + eps v) - f(x - eps v)) / (2 eps)."""
    x, v = np.asarray(x, dtype=np.float64), np.asarray(v, dtype=np.float64)
    return (np.asarray(f(x + eps * v), dtype=np.float64) - np.asarray(f(x - eps * v), dtype=np.float64)) / (2 * eps)
