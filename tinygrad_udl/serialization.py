"""`save(obj, path)` / `load(path)`: state dicts in numpy's `.npz`, never pickle.

A state dict is a (possibly nested) dict whose leaves are arrays, Tensors or plain numbers; nested
keys are joined with '.' (`{"fc1": {"weight": W}}` is stored as `fc1.weight`, as PyTorch names
parameters). Loading uses `allow_pickle=False`, so a file from a stranger can never run code: a
file holding a pickled object is refused with a clear error.
"""
from __future__ import annotations

import os
import zipfile

import numpy as np

from .autograd.tensor import Tensor


class SerializationError(ValueError):
    """A file that is not a tinygrad_udl state dict, or that holds something unsafe."""


def _flatten(obj, prefix, out):
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str) or not key or "." in key and isinstance(value, dict):
                raise SerializationError(f"save: key {key!r} at '{prefix}' must be a non-empty string (no '.' before a nested dict)")
            _flatten(value, f"{prefix}.{key}" if prefix else key, out)
        return
    array = obj.data if isinstance(obj, Tensor) else np.asarray(obj)
    if array.dtype.kind not in "biuf":
        raise SerializationError(f"save: '{prefix}' has dtype {array.dtype}; only numbers and arrays of numbers are saved")
    if prefix in out:
        raise SerializationError(f"save: the key '{prefix}' occurs twice")
    out[prefix] = array


def save(obj, path):
    """Write a state dict (nested dicts of arrays / Tensors / numbers) to `path` (.npz)."""
    if not isinstance(obj, dict):
        raise SerializationError(f"save: expected a state dict (a dict), got {type(obj).__name__}; "
                                 "use model.state_dict() or optimizer.state_dict()")
    flat = {}
    _flatten(obj, "", flat)
    with open(os.fspath(path), "wb") as f:
        np.savez(f, **flat)


def load(path, nested=False):
    """Read a state dict written by `save`: a flat dict 'a.b.c' -> numpy array (or nested dicts
    with `nested=True`). Refuses pickled content instead of executing it."""
    try:
        with np.load(os.fspath(path), allow_pickle=False) as archive:
            flat = {key: archive[key] for key in archive.files}
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise SerializationError(f"load: {path} contains a pickled Python object; refusing to load it "
                                     "(pickles can run arbitrary code). Only plain arrays are accepted.") from None
        raise SerializationError(f"load: {path} is not a readable .npz state dict ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise SerializationError(f"load: {path} is not a readable .npz state dict ({e})") from None
    if not nested:
        return flat
    tree = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree
