"""`atomic_write(path, mode)`: how the library writes every file, so that a crash never leaves half a file.

The data goes to a temporary file in the same folder, which is flushed, fsync'ed and then renamed
over `path` with `os.replace` (atomic on POSIX and Windows when both are on one file system, which
the same folder guarantees). Until the rename, `path` keeps its previous content; an exception or
Ctrl-C inside the block deletes the temporary file. A process killed outright (SIGKILL, power loss)
cannot clean up: it may leave a hidden `.<name>.<random>.tmp` beside `path`, never a damaged `path`.
A `path` that exists and is not a regular file (a device such as /dev/full, a pipe) is written
directly: it has no content to protect, and renaming over it would replace the device.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path, mode="wb", **open_options):
    """Open a temporary file for writing (`mode` "wb" or "w"; `open_options` such as encoding= go to
    `open`); when the `with` block ends normally it replaces `path`, otherwise `path` is untouched.

        with atomic_write("history.json", "w", encoding="utf-8") as f:
            f.write(text)
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb' (the file is written from scratch), got {mode!r}")
    path = Path(path)
    target = Path(os.path.realpath(path))  # through a symlink, as open() writes: the link stays a link
    if target.exists() and not target.is_file():
        # a device, pipe or socket (/dev/full, /dev/stdout, a FIFO): written as open() would. Renaming
        # a file over it would replace the device itself (as root, even /dev/full)
        with open(target, mode, **open_options) as f:
            yield f
        return
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    f = _created(temporary, path, mode, open_options)
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it the file
        os.replace(temporary, target)
    except BaseException:  # Ctrl-C too: nothing but the old file may remain
        f.close()
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _created(temporary, path, mode, open_options):
    """The temporary file, opened. `os.open` with mode 0o666 lets the umask decide the permissions,
    so the file ends up as `open(path, "w")` would have made it (tempfile.mkstemp would give 0o600)."""
    try:
        # O_EXCL: never open someone else's file; O_BINARY (Windows only): no newline translation
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise type(e)(e.errno, f"cannot write {path}: creating a temporary file in {temporary.parent} failed "
                               f"({e.strerror}); check that the folder exists and is writable") from e
    try:
        return open(fd, mode, **open_options)
    except BaseException:
        os.close(fd)
        temporary.unlink()
        raise


def _sync_folder(folder):
    """Make the rename itself durable (on POSIX the folder's list of names is data too). Windows
    cannot open a folder and some file systems refuse to sync one; the rename has happened anyway."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
