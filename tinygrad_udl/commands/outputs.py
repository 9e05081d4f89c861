"""Where the commands write: checked before the work starts, and write errors as one line.

A training run that ends in "cannot write" has lost its results, so `check_folder` / `check_file`
run first: they make the folder (or the file's folder) and try writing there, and a path that
cannot work (a file where a folder should be, a folder that cannot be made, no permission) is a
`UsageError` before anything is computed. A write can still fail later (the disk fills up,
`-o /dev/full`): `writing(path)` turns the OSError into one line naming the path.
"""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from . import UsageError


def check_folder(path) -> Path:
    """Make the output folder `path` (and its parents) and make sure files can be created in it."""
    path = Path(path)
    with _as_usage_error(path):
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):  # permissions, a read-only file system
            pass
    return path


def check_file(path) -> Path:
    """Make the folder of the output file `path` and open the file for writing once, without
    changing it (opened for appending; removed again if this made it)."""
    path = Path(path)
    with _as_usage_error(path):
        if path.is_dir():
            raise UsageError(f"cannot write {path}: it is a folder; give a file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        with open(path, "ab"):
            pass
        if not existed:
            path.unlink()
    return path


@contextlib.contextmanager
def writing(path):
    """Inside the block, an OSError is a one-line UsageError naming the file (or else `path`)."""
    with _as_usage_error(path):
        yield


@contextlib.contextmanager
def _as_usage_error(path):
    try:
        yield
    except OSError as e:
        raise UsageError(f"cannot write {path}: {describe(e)}") from None


def describe(error: OSError) -> str:
    """'No space left on device', or 'out/run is a file' for the mistakes users make: a file in
    the way of a folder (mkdir says 'File exists' or 'Not a directory')."""
    name = error.filename
    if isinstance(error, FileExistsError | NotADirectoryError) and name is not None:
        blocker = next((p for p in (Path(name), *Path(name).parents) if p.is_file()), None)
        if blocker is not None:
            return f"{blocker} is a file, not a folder"
    reason = error.strerror or str(error)
    return reason if name is None or str(name) in reason else f"{reason}: {name}"
