"""What stopped a write to the store (damaged, newer, busy, full, read-only), and moving a damaged file aside.

A damaged file (garbage, truncated, a table missing) will never take a write again: it is
renamed ``traces.db.corrupt-<UTC time>`` (its ``-wal`` and ``-shm`` beside it, so nothing
in them is lost) and a fresh store is started in its place. Every other problem is the
world's and passes: the spans wait in the journal meanwhile.
"""

from __future__ import annotations

import os
import sqlite3
import time

from .schema import NewerSchemaError

__all__ = ["BUSY", "DAMAGED", "FULL", "NEWER", "OTHER", "READ_ONLY", "describe", "kind_of", "move_aside"]

DAMAGED = "damaged"
NEWER = "newer"
BUSY = "busy"
FULL = "full"
READ_ONLY = "read-only"
OTHER = "other"

# SQLite's primary result codes (https://www.sqlite.org/rescode.html) and, for Pythons before
# 3.11 (no ``sqlite_errorname``), the words of its messages.
_DAMAGED_NAMES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_DAMAGED_WORDS = ("malformed", "not a database", "no such table", "no such column", "has no column named")
_BUSY_NAMES = ("SQLITE_BUSY", "SQLITE_LOCKED")
_BUSY_WORDS = ("database is locked", "database table is locked")
_FULL_NAMES = ("SQLITE_FULL",)
_FULL_WORDS = ("disk is full",)
_READ_ONLY_NAMES = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")
_READ_ONLY_WORDS = ("readonly database", "unable to open database")


def kind_of(error: BaseException) -> str:
    """Which of the problems above ``error`` is (OTHER when it is none of them)."""
    if isinstance(error, NewerSchemaError):
        return NEWER
    if isinstance(error, OSError):
        import errno

        if error.errno == errno.ENOSPC:
            return FULL
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
        return OTHER
    if not isinstance(error, sqlite3.DatabaseError):
        return OTHER
    name = str(getattr(error, "sqlite_errorname", "") or "")
    base = name.split("_", 2)
    primary = "_".join(base[:2]) if len(base) >= 2 else name
    text = str(error).lower()
    for kind, names, words in ((DAMAGED, _DAMAGED_NAMES, _DAMAGED_WORDS), (BUSY, _BUSY_NAMES, _BUSY_WORDS),
                               (FULL, _FULL_NAMES, _FULL_WORDS), (READ_ONLY, _READ_ONLY_NAMES, _READ_ONLY_WORDS)):
        if primary in names or any(word in text for word in words):
            return kind
    return OTHER


def describe(error: BaseException) -> str:
    """A few words for a stderr line: the file system's or SQLite's own message."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error) or type(error).__name__


def move_aside(path: str, inode: int | None) -> str | None:
    """Rename the damaged store ``path`` (and its -wal, -shm) to ``<path>.corrupt-<UTC time>``.

    ``inode`` is the file found damaged: when ``path`` is now another file (another process
    moved the damaged one first and started afresh), nothing is moved and None is returned.

    Returns:
        The new name of the damaged file, or None when nothing was moved.

    Raises:
        OSError: the rename failed (then the store stays as it was).
    """
    with _folder_lock(os.path.dirname(os.path.abspath(path))):
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            return None
        if inode is not None and current != inode:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = f"{path}.corrupt-{stamp}"
        if os.path.exists(target):
            target = f"{target}-{os.getpid()}"
        os.rename(path, target)
        for suffix in ("-wal", "-shm"):
            try:
                os.rename(path + suffix, target + suffix)
            except FileNotFoundError:
                pass
        return target


class _folder_lock:
    """An exclusive ``flock`` on ``<folder>/.traces.lock`` while moving a file (none where flock is missing)."""

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, ".traces.lock")
        self.fd: int | None = None

    def __enter__(self) -> _folder_lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: renames are rare enough to go unlocked
            return self
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
