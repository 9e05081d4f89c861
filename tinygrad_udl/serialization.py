"""`save(obj, path)` / `load(path)`: state dicts in numpy's `.npz`, never pickle, safe against crashes.

A state dict is a (possibly nested) dict whose leaves are arrays, Tensors or plain numbers; nested
keys are joined with '.' (`{"fc1": {"weight": W}}` is stored as `fc1.weight`, as PyTorch names
parameters). Any non-empty string is a key (`file` and `allow_pickle` too), except that it may not
hold a NUL character or a lone surrogate, which zip member names cannot carry.

**The file (format version 1)** is a zip archive that `numpy.load` reads as an `.npz`:

- first, the manifest: a member named `MANIFEST_NAME` ("__tinygrad_udl_manifest__.json"; it does
  not end in `.npy`, so no key can collide with it) holding the JSON
  `{"format": "tinygrad_udl state dict", "version": 1, "entries": [{"key": "fc1.weight",
  "shape": [40, 10], "dtype": "<f4"}, ...]}`, one entry per array in the state dict's order;
- then one member `<key>.npy` per entry, written with `numpy.lib.format.write_array` (no pickle).

The manifest comes first so that an archive cut short after some entries still lists the missing
ones. `save` writes a temporary file and renames it over `path` (`files.atomic_write`), so a crash,
Ctrl-C or SIGKILL part-way leaves the previous checkpoint as it was.

**`load` checks before it reads any array data**: the sizes the zip directory declares, in total,
against `max_bytes` (default `MAX_BYTES`, 4 GiB); that every member is an `.npy` array (or the
manifest) and appears once; that each `.npy` header parses (versions 1.0 and 2.0), holds numbers
(bool, int, uint, float: never Python objects, which would need pickle) and declares shape ×
itemsize within `max_bytes` and equal to the member's size; and, when the manifest is present, that
the archive holds exactly the entries it lists, with its shapes and dtypes. zipfile checks each
member's CRC-32 as it is read. Any failure is a `SerializationError` naming the file and the entry.
A file without a manifest (written before format version 1, or by `numpy.savez`) is read as a
legacy file, with every check but the manifest's.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile

import numpy as np
from numpy.lib import format as npy_format

from .autograd.tensor import Tensor
from .files import atomic_write

MANIFEST_NAME = "__tinygrad_udl_manifest__.json"
FORMAT = "tinygrad_udl state dict"
FORMAT_VERSION = 1
MAX_BYTES = 4 * 2**30  # load's default cap on the bytes a file may declare: larger than any model of the book
_NUMBERS = "biuf"  # bool, int, uint, float: what save writes and load accepts
_CHUNK = 2**20  # array data is read in pieces of this size, into one preallocated buffer
_DAMAGED = "the file is damaged or was altered: restore it from a backup or save it again"


class SerializationError(ValueError):
    """A file that is not a tinygrad_udl state dict, or that holds something unsafe."""


# ---- save ------------------------------------------------------------------------------------------


def save(obj, path):
    """Write a state dict (nested dicts of arrays / Tensors / numbers) to `path` (.npz), atomically:
    until the new file is complete, `path` keeps its previous content."""
    if not isinstance(obj, dict):
        raise SerializationError(f"save: expected a state dict (a dict), got {type(obj).__name__}; "
                                 "use model.state_dict() or optimizer.state_dict()")
    flat = {}
    _flatten(obj, "", flat)
    with atomic_write(path, "wb") as f:
        _write_archive(f, flat)


def _flatten(obj, prefix, out):
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str) or not key or "." in key and isinstance(value, dict):
                raise SerializationError(f"save: key {key!r} at '{prefix}' must be a non-empty string (no '.' before a nested dict)")
            _check_name(key, prefix)
            _flatten(value, f"{prefix}.{key}" if prefix else key, out)
        return
    array = obj.data if isinstance(obj, Tensor) else np.asarray(obj)
    if array.dtype.kind not in _NUMBERS:
        raise SerializationError(f"save: '{prefix}' has dtype {array.dtype}; only numbers and arrays of numbers are saved")
    if prefix in out:
        raise SerializationError(f"save: the key '{prefix}' occurs twice")
    out[prefix] = array


def _check_name(key, prefix):
    """A key becomes a zip member name: UTF-8 text that ends at the first NUL."""
    if "\x00" in key:
        raise SerializationError(f"save: key {key!r} at '{prefix}' holds a NUL character, which zip member names "
                                 "cannot carry; rename the entry")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise SerializationError(f"save: key {key!r} at '{prefix}' is not valid Unicode (it holds a lone surrogate); "
                                 "rename the entry") from None


def _write_archive(f, flat):
    """The zip archive itself, written member by member (not with numpy.savez, whose keyword
    arguments would collide with keys such as `file` or `allow_pickle`)."""
    entries = [{"key": key, "shape": list(array.shape), "dtype": array.dtype.str} for key, array in flat.items()]
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "entries": entries}
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest))
        for key, array in flat.items():
            # force_zip64: a member's size is not known when it is opened (numpy.savez does the same)
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                npy_format.write_array(member, array, allow_pickle=False)


# ---- load ------------------------------------------------------------------------------------------


def load(path, nested=False, max_bytes=MAX_BYTES):
    """Read a state dict written by `save`: a flat dict 'a.b.c' -> numpy array, in the saved order
    (or nested dicts with `nested=True`). Refuses, with a SerializationError, anything that is not
    a complete state dict of numbers: pickled objects, damaged or altered files, and files that
    declare more than `max_bytes` bytes (raise it to read a larger file you trust)."""
    path = os.fspath(path)
    with _refusing(path, None, "not a zip archive (.npz), or it cannot be read"):
        archive = zipfile.ZipFile(path)
    with archive:
        arrays, manifest = _index(archive, path, max_bytes)
        if manifest is None:  # a legacy file: the archive's order, nothing to compare the entries with
            listed = dict.fromkeys(arrays)
        else:
            listed = _read_manifest(archive, manifest, path)
            _check_listing(listed, arrays, path)
        flat = {key: _read_entry(archive, arrays[key], path, key, max_bytes, expected) for key, expected in listed.items()}
    return _nest(flat, path) if nested else flat


@contextlib.contextmanager
def _refusing(path, key, what):
    """Turn whatever a damaged file makes zipfile, json or numpy raise into a SerializationError:
    corrupt bytes can raise nearly anything (BadZipFile, EOFError, zlib.error, struct.error,
    UnicodeDecodeError, SyntaxError, tokenize.TokenError, MemoryError, ...)."""
    try:
        yield
    except SerializationError:
        raise
    except Exception as e:
        raise SerializationError(f"load: {_where(path, key)}: {what} ({type(e).__name__}: {e}); {_DAMAGED}") from e


def _where(path, key):
    return path if key is None else f"{path}, entry {key!r}"


def _index(archive, path, max_bytes):
    """(key -> ZipInfo of each array, ZipInfo of the manifest or None), after checking the names and
    the total size the zip directory declares (before anything is decompressed)."""
    infos = archive.infolist()
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        raise SerializationError(f"load: {path}: the archive declares {declared:,} bytes uncompressed, more than "
                                 f"max_bytes={max_bytes:,}; if you trust the file, pass a larger max_bytes "
                                 "(load(path, max_bytes=...))")
    arrays, manifest, seen = {}, None, set()
    for info in infos:
        name = info.filename
        key = name.removesuffix(".npy")
        if name in seen:
            raise SerializationError(f"load: {_where(path, key)} occurs twice in the archive; {_DAMAGED}")
        seen.add(name)
        if name == MANIFEST_NAME:
            manifest = info
        elif not name.endswith(".npy"):
            raise SerializationError(f"load: {_where(path, name)} is not an array (.npy); a state dict holds "
                                     "arrays only, so this file was not written by tinygrad_udl.save")
        else:
            arrays[key] = info
    return arrays, manifest


def _read_manifest(archive, info, path):
    """key -> (shape, dtype string) as the manifest lists them, after checking its format and version."""
    with _refusing(path, None, f"its manifest {MANIFEST_NAME} cannot be read"):
        text = archive.read(info)
    with _refusing(path, None, f"its manifest {MANIFEST_NAME} is not valid JSON"):
        manifest = json.loads(text)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("entries"), list):
        raise SerializationError(f"load: {path}: its {MANIFEST_NAME} is not a tinygrad_udl manifest "
                                 f"(format {FORMAT!r} with a list of entries); {_DAMAGED}")
    version = manifest.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise SerializationError(f"load: {path}: format version {version!r}, but this tinygrad_udl reads version "
                                 f"{FORMAT_VERSION}; update tinygrad_udl to read it")
    listed = {}
    for number, entry in enumerate(manifest["entries"], 1):
        if not _is_manifest_entry(entry):
            raise SerializationError(f"load: {path}: manifest entry {number} must have exactly the fields key, shape, "
                                     f"dtype (a string, a list of sizes, a dtype string); it is {entry!r:.100}; {_DAMAGED}")
        if entry["key"] in listed:
            raise SerializationError(f"load: {path}: the manifest lists {entry['key']!r} twice; {_DAMAGED}")
        listed[entry["key"]] = (tuple(entry["shape"]), entry["dtype"])
    return listed


def _is_manifest_entry(entry):
    return (isinstance(entry, dict) and set(entry) == {"key", "shape", "dtype"} and isinstance(entry["key"], str)
            and isinstance(entry["shape"], list) and all(type(n) is int and n >= 0 for n in entry["shape"])
            and isinstance(entry["dtype"], str))


def _check_listing(listed, arrays, path):
    missing = [key for key in listed if key not in arrays]
    if missing:
        raise SerializationError(f"load: {path}: {_entries(missing)} listed in the manifest but missing from the "
                                 "archive: the file is incomplete (cut short by a crash or an interrupted copy) or "
                                 "was altered; restore it from a backup or save it again")
    unexpected = [key for key in arrays if key not in listed]
    if unexpected:
        raise SerializationError(f"load: {path}: {_entries(unexpected)} not listed in the manifest; {_DAMAGED}")


def _entries(keys):
    """"entry 'a' is" or "entries 'a', 'b' are": messages name every key concerned."""
    names = ", ".join(repr(key) for key in keys)
    return f"entry {names} is" if len(keys) == 1 else f"entries {names} are"


def _read_entry(archive, info, path, key, max_bytes, listed):
    """One array, read only after its header has passed every check; `listed` is the manifest's
    (shape, dtype) for it, or None for a legacy file."""
    where = _where(path, key)
    with _refusing(path, key, "the entry cannot be opened"):
        member = archive.open(info)
    with member:
        shape, fortran_order, dtype = _header(member, path, key)
        with _refusing(path, key, "the entry cannot be read"):
            held = info.file_size - member.tell()
        nbytes = _declared_bytes(shape, dtype, where, max_bytes)
        if listed is not None and listed != (shape, dtype.str):
            raise SerializationError(f"load: {where}: the manifest says shape {listed[0]} and dtype {listed[1]}, the "
                                     f"entry holds shape {shape} and dtype {dtype.str}; {_DAMAGED}")
        if nbytes != held:
            raise SerializationError(f"load: {where}: the header declares {nbytes:,} bytes of data but the entry "
                                     f"holds {held:,}; {_DAMAGED}")
        data = _read_bytes(member, nbytes, path, key)
    return np.frombuffer(data, dtype=dtype, count=math.prod(shape)).reshape(shape, order="F" if fortran_order else "C")


def _header(member, path, key):
    """(shape, fortran_order, dtype) from the member's .npy header, refused unless it is an array of numbers."""
    with _refusing(path, key, "not a .npy array (its header cannot be read)"):
        version = npy_format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(member)
        else:
            raise SerializationError(f"load: {_where(path, key)}: .npy format version {version[0]}.{version[1]}; only "
                                     "versions 1.0 and 2.0 (what numpy writes for arrays of numbers) are read")
    if dtype.hasobject:
        raise SerializationError(f"load: {_where(path, key)} contains a pickled Python object; refusing to load it "
                                 "(pickles can run arbitrary code). Only plain arrays are accepted.")
    if dtype.kind not in _NUMBERS:
        raise SerializationError(f"load: {_where(path, key)}: dtype {dtype}; only arrays of numbers (bool, int, "
                                 "uint, float) are loaded")
    if any(n < 0 for n in shape):
        raise SerializationError(f"load: {_where(path, key)}: the header declares shape {shape}; {_DAMAGED}")
    return shape, fortran_order, dtype


def _declared_bytes(shape, dtype, where, max_bytes):
    nbytes = math.prod(shape) * dtype.itemsize  # Python integers: a huge shape cannot overflow
    if nbytes > max_bytes:
        raise SerializationError(f"load: {where}: the header declares shape {shape} and dtype {dtype}, {nbytes:,} "
                                 f"bytes: more than max_bytes={max_bytes:,}; if you trust the file, pass a larger "
                                 "max_bytes (load(path, max_bytes=...))")
    return nbytes


def _read_bytes(member, nbytes, path, key):
    """Exactly `nbytes` bytes, into one buffer of that size. Reading to the end of the member makes
    zipfile check its CRC-32, so altered data is refused."""
    buffer = bytearray(nbytes)
    view = memoryview(buffer)
    filled = 0
    with _refusing(path, key, "the array data cannot be read"):
        while filled < nbytes:
            count = member.readinto(view[filled:filled + _CHUNK])
            if not count:
                break
            filled += count
    if filled != nbytes:
        raise SerializationError(f"load: {_where(path, key)}: the data ends after {filled:,} of {nbytes:,} bytes; {_DAMAGED}")
    return buffer


def _nest(flat, path):
    """'a.b.c' keys as nested dicts; a key that is also the prefix of another ('a' and 'a.b') cannot be both."""
    tree = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for depth, part in enumerate(parents):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise _conflict(path, ".".join(parents[:depth + 1]), key)
        if leaf in node:  # an earlier key went below this one
            raise _conflict(path, key, next(other for other in flat if other.startswith(key + ".")))
        node[leaf] = value
    return tree


def _conflict(path, prefix, key):
    return SerializationError(f"load: {path}: '{prefix}' is both an entry and the prefix of '{key}', so nested=True "
                              "cannot build a tree of them; load with nested=False, which keeps the flat keys")
