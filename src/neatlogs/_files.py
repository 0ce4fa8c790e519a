"""Private folders and files under ``NEATLOGS_HOME``: folders 0700, files 0600, whatever the umask.

Prompts and replies are private: the store, its journal and the spool are readable by their
owner only. Modes are set with ``chmod`` after creation, because a creation mode is
filtered by the umask (and a umask of 0 would leave them world-readable). Only what
neatlogs creates is changed: an existing folder the user chose keeps its mode.
"""

from __future__ import annotations

import os

__all__ = ["FILE_MODE", "FOLDER_MODE", "private_file", "private_folder", "write_private"]

FOLDER_MODE = 0o700
"""Mode of every folder neatlogs creates."""

FILE_MODE = 0o600
"""Mode of every file neatlogs creates."""


def private_folder(path: str) -> str:
    """Create ``path`` (and its missing parents) with mode 0700 when it is missing; return it.

    Raises:
        OSError: the folder cannot be created (a read-only or full file system, say).
    """
    if os.path.isdir(path):
        return path
    parent = os.path.dirname(os.path.abspath(path))
    if parent != path and not os.path.isdir(parent):
        private_folder(parent)
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileExistsError:
        return path  # made meanwhile by another process
    os.chmod(path, FOLDER_MODE)
    return path


def private_file(path: str) -> None:
    """Create the empty file ``path`` with mode 0600 unless it exists (its own mode is then kept)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        _fchmod(fd)
    finally:
        os.close(fd)


def _fchmod(fd: int) -> None:
    if hasattr(os, "fchmod"):  # not on Windows before Python 3.13, where modes mean little anyway
        os.fchmod(fd, FILE_MODE)


def write_private(path: str, data: bytes) -> None:
    """Write ``data`` to a new file ``path`` (mode 0600) at once: readers see all of it or nothing.

    Raises:
        OSError: it could not be written (what was begun is removed).
    """
    temporary = f"{path}.tmp-{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        try:
            _fchmod(fd)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass  # nothing was created, or the file system refuses even that: nothing more to undo
        raise
