"""Atomic file writes: a reader sees the old file or the new one, never a torn one.

Every writer here writes to a fresh temporary file in the destination's directory (so the
final rename never crosses a file system), flushes and fsyncs it, then moves it over the
destination with :func:`os.replace`, which is atomic on POSIX and Windows. On any failure
the temporary file is removed and the old destination, if any, is left untouched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import IO

import numpy as np

__all__ = ["save_npz_atomic", "write_bytes_atomic", "write_text_atomic"]

_MAX_NAME_TRIES = 100


def _open_temporary(directory: str, base: str) -> tuple[int, str]:
    """Create and open a new, empty temporary file next to the destination.

    The file is created with mode ``0o666`` filtered by the process umask, the same
    permissions a plain ``open(path, "w")`` would give a new file.

    Parameters
    ----------
    directory : str
        Directory of the destination file.
    base : str
        Base name of the destination file (used to make the temporary name readable).

    Returns
    -------
    fd : int
        File descriptor open for writing.
    tmp_path : str
        Path of the temporary file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_MAX_NAME_TRIES):
        tmp_path = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp_path, flags, 0o666), tmp_path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {directory!r}")


def _fsync_directory(directory: str) -> None:
    """Best-effort fsync of a directory so that a completed rename survives a crash."""
    if not hasattr(os, "O_DIRECTORY"):  # e.g. Windows: directories cannot be fsynced
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]) -> None:
    """Run ``writer`` on a temporary binary file, then move it over ``path``.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    writer : callable
        Called once with the temporary file object, open for binary writing.
    """
    target = os.path.abspath(os.fspath(path))
    directory, base = os.path.split(target)
    fd, tmp_path = _open_temporary(directory, base)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        Destination file; its directory must exist. An existing file is replaced.
    data : bytes
        The complete new content.

    Raises
    ------
    OSError
        When the directory is not writable or the disk is full; the old file is then
        unchanged and no temporary file is left behind.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "blob.bin")
    >>> write_bytes_atomic(target, b"\\x00\\x01")
    >>> open(target, "rb").read()
    b'\\x00\\x01'
    """
    payload = bytes(data)
    _write_atomic(path, lambda handle: handle.write(payload))


def write_text_atomic(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically.

    The text is encoded as is: no newline translation takes place.

    Parameters
    ----------
    path : str or path-like
        Destination file; its directory must exist. An existing file is replaced.
    text : str
        The complete new content.
    encoding : str, default "utf-8"
        Text encoding.

    Raises
    ------
    OSError
        When the write fails; the old file is then unchanged and no temporary file is
        left behind.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> write_text_atomic(target, "hello\\n")
    >>> open(target, encoding="utf-8").read()
    'hello\\n'
    """
    write_bytes_atomic(path, text.encode(encoding))


def save_npz_atomic(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """Save arrays in the ``.npz`` format (as :func:`numpy.savez`) atomically.

    Unlike :func:`numpy.savez` given a file name, the file is written at exactly
    ``path``: no ``.npz`` suffix is appended.

    Parameters
    ----------
    path : str or path-like
        Destination file; its directory must exist. An existing file is replaced.
    **arrays : array_like
        The arrays to store, under their keyword names.

    Raises
    ------
    OSError
        When the write fails; the old file is then unchanged and no temporary file is
        left behind.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "targets.npz")
    >>> save_npz_atomic(target, T1=np.array([[1, -1]]))
    >>> np.load(target)["T1"].tolist()
    [[1, -1]]
    """
    _write_atomic(path, lambda handle: np.savez(handle, **arrays))
