"""`Distribution`, the base class, and the helpers the distributions share.

Shapes follow PyTorch: a distribution holds a batch of independent distributions
(`batch_shape`), each over events of shape `event_shape` (() for a scalar, (D,) for a vector).
`sample(sample_shape)` returns `sample_shape + batch_shape + event_shape`, and `log_prob(value)`
returns one number per event: the shape of `value` without the event axes, broadcast against
`batch_shape`.
"""
from __future__ import annotations

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor, get_default_dtype, where
from ..checks import as_generator, check_int


class Distribution:
    """Base class: shapes, `sample` from `rsample`, `stddev` from `variance`, argument checks.

    Subclasses set `batch_shape`/`event_shape` through `__init__`, and define `log_prob`,
    `entropy`, `mean`, `variance`, and `rsample` (with `has_rsample = True`) or `sample`.
    """

    has_rsample = False

    def __init__(self, batch_shape, event_shape, dtype):
        self.batch_shape = tuple(batch_shape)
        self.event_shape = tuple(event_shape)
        self.dtype = np.dtype(dtype)

    def sample(self, sample_shape=(), rng=None):
        """A draw of shape `sample_shape + batch_shape + event_shape`, as a constant Tensor (no
        gradient reaches the parameters; use `rsample` for that)."""
        with no_grad():
            return self.rsample(sample_shape, rng)

    def rsample(self, sample_shape=(), rng=None):
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterised sample: a discrete draw is not a differentiable function "
            "of the parameters. Use sample() (a constant), and a score-function estimator "
            "(log_prob(sample) times a reward, as in policy gradients) if you need a gradient")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def __repr__(self):
        return f"{type(self).__name__}(batch_shape={self.batch_shape}, event_shape={self.event_shape})"

    # ---- helpers for subclasses -------------------------------------------------------------------

    def _draw_shape(self, sample_shape, rng):
        """(the output shape, the numpy Generator) for a draw."""
        where = f"{type(self).__name__}.sample"
        return self._shape(sample_shape, where) + self.batch_shape + self.event_shape, as_generator(rng, where)

    @staticmethod
    def _shape(sample_shape, where):
        if isinstance(sample_shape, int | np.integer):
            sample_shape = (sample_shape,)
        if not isinstance(sample_shape, tuple | list):
            raise TypeError(f"{where}: sample_shape must be a tuple of ints such as (100,) or (), "
                            f"got {type(sample_shape).__name__}")
        return tuple(check_int(n, "sample_shape", where, 0) for n in sample_shape)

    def _value_shape(self, value_shape):
        """The shape of log_prob's result: `value_shape` without the event axes, broadcast against
        `batch_shape`; a clear error if the value does not fit the distribution."""
        name, n_event = type(self).__name__, len(self.event_shape)
        if len(value_shape) < n_event or value_shape[len(value_shape) - n_event:] != self.event_shape:
            raise ValueError(f"{name}.log_prob: the value has shape {value_shape}, but events of this distribution "
                             f"have shape {self.event_shape}: the value's last {n_event} axes must be "
                             f"{self.event_shape}")
        return broadcast_shapes(f"{name}.log_prob", value=value_shape[:len(value_shape) - n_event],
                                batch_shape=self.batch_shape)

    def _real_value(self, value):
        """`value` as a float Tensor (it may carry a graph, e.g. an rsample), checked to be a number."""
        value = as_float(value, self.dtype, f"{type(self).__name__}.log_prob", "value")
        check_not_nan(f"{type(self).__name__}.log_prob", "value", value)
        return value


# ---- parameters ---------------------------------------------------------------------------------------


def as_float(x, dtype, where, name):
    """`x` as a floating-point Tensor: a float Tensor is kept (with its graph), a float numpy array
    keeps its dtype, anything else (numbers, lists, integer data) takes `dtype`."""
    if isinstance(x, Tensor):
        return x if x.dtype.kind == "f" else Tensor(x.data, dtype=dtype)
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must be a number, an array or a Tensor, got {type(x).__name__} {x!r:.60}")
    keep = isinstance(x, np.ndarray | np.generic) and array.dtype.kind == "f"
    return Tensor(array, dtype=None if keep else dtype)


def float_parameters(where, **values):
    """The given parameters as float Tensors of one dtype: that of the float Tensors and arrays among
    them (numpy's promotion), or the default float dtype if all are Python numbers or lists.
    Returns (list of Tensors, dtype)."""
    floats = [v.dtype for v in values.values()
              if isinstance(v, Tensor | np.ndarray | np.generic) and v.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else get_default_dtype()
    return [as_float(v, dtype, where, name) for name, v in values.items()], dtype


def broadcast_shapes(where, **shapes):
    """np.broadcast_shapes, with an error that names each shape."""
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"{where}: shapes do not broadcast together: {listed}. Shapes are aligned on the right; "
                         "each axis needs equal sizes or a 1") from None


def exactly_one(where, **options):
    """The name and value of the one option that is not None (e.g. probs= or logits=)."""
    given = [(name, value) for name, value in options.items() if value is not None]
    if len(given) != 1:
        names = " or ".join(f"{name}=" for name in options)
        raise ValueError(f"{where}: give exactly one of {names}, got "
                         f"{' and '.join(name + '=' for name, _ in given) if given else 'neither'}")
    return given[0]


def first_bad(values, bad):
    """'got <value> at index [i, j]' for the first entry where the mask `bad` is True (for errors)."""
    values, bad = np.broadcast_arrays(values, bad)
    index = np.argwhere(bad)[0]
    return f"got {values[tuple(index)].item()!r}" + (f" at index {index.tolist()}" if len(index) else "")


def check_not_nan(where, name, x):
    bad = np.isnan(x.data)
    if bad.any():
        raise ValueError(f"{where}: {name} contains NaN ({first_bad(x.data, bad)})")


def check_positive(where, name, x, hint):
    bad = ~(x.data > 0)  # NaN fails too
    if bad.any():
        raise ValueError(f"{where}: {name} must be > 0 everywhere, {first_bad(x.data, bad)}. {hint}")


def check_probabilities(where, name, p):
    bad = ~((p.data >= 0) & (p.data <= 1))
    if bad.any():
        raise ValueError(f"{where}: {name} must lie in [0, 1], {first_bad(p.data, bad)}. "
                         "Pass logits= for unbounded network outputs")


# ---- stable logarithms ----------------------------------------------------------------------------------


def safe_log(p):
    """log p, with log 0 = -inf and finite gradients where p > 0."""
    return _log_inside(Tensor.log, p, p > 0, 1.0)


def safe_log1m(p):
    """log(1 - p) as log1p(-p) (exact for tiny p), with log 0 = -inf at p = 1."""
    return _log_inside(_log1m, p, p < 1, 0.0)


def _log1m(q):
    return (-q).log1p()


def _log_inside(log, x, inside, stand_in):
    """log(x) where `inside`, -inf elsewhere. The log sees `stand_in` outside, so that its derivative
    is never evaluated where it is infinite: 0 * inf would make every gradient NaN."""
    return where(inside, log(where(inside, x, stand_in)), -np.inf)


def p_times(p, log_q):
    """p * log_q elementwise with the convention 0 * log 0 = 0 (entropy and KL sum such terms);
    where p = 0 the log is not used at all, so a -inf there gives neither NaN values nor gradients."""
    return p * where(p > 0, log_q, 0.0)
