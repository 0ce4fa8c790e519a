"""Open the local store for the commands that read it, turning any broken store into one line.

``sessions``, ``show``, ``traces``, ``doctor`` and ``ui`` read through :func:`open_for_reading`:
a file that is not SQLite, a truncated or damaged one, one missing a table, one written by a
newer neatlogs, or one that cannot be read becomes a :class:`StoreProblem` whose message names
the problem and the fix, never a traceback. A read-only store is read without being written.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from typing import Callable, TypeVar

from neatlogs import store
from neatlogs.store import backfill

__all__ = ["StoreProblem", "describe", "is_writable", "open_for_reading", "readers_text_factory", "reading"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_TABLES = ("spans", "sessions")
T = TypeVar("T")


class StoreProblem(Exception):
    """The store cannot be read; the message is one line: the problem and the fix."""


def _aside(path: str) -> str:
    return f"move it aside (mv {path} {path}.bad) and the next traced run starts a new one"


def describe(path: str, error: BaseException) -> str:
    """One line for an SQLite error met while reading ``path``: what is wrong and what to do."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return f"the store {path} is not a neatlogs store (not an SQLite file): {_aside(path)}"
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return f"the store {path} is damaged ({text}): {_aside(path)}"
    if "no such table" in text or "no such column" in text:
        return f"the store {path} is damaged or incomplete ({text}): {_aside(path)}"
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return f"the store {path} is locked by another process ({text}): try again when it finishes"
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")) or "unable to open" in text:
        return f"the store {path} cannot be opened ({text}): check that you may read it and its folder"
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"the store {path} is read-only ({text}): make it writable (chmod u+w) to record into it"
    return f"the store {path} cannot be read ({text}): {_aside(path)}"


def readers_text_factory(raw: bytes) -> str:
    """Text of a column, invalid UTF-8 (a foreign writer's bytes) repaired instead of failing the read."""
    return raw.decode("utf-8", "replace")


def is_writable(path: str) -> bool:
    """True when the store file (or, without one, its folder) can be written."""
    if os.path.exists(path):
        return os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)
    folder = os.path.dirname(os.path.abspath(path))
    while folder and not os.path.exists(folder):
        folder = os.path.dirname(folder)
    return bool(folder) and os.access(folder, os.W_OK)


def _check_header(path: str) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except IsADirectoryError:
        raise StoreProblem(f"the store {path} is a folder, not a file: {_aside(path)}") from None
    except OSError as error:
        raise StoreProblem(f"the store {path} cannot be read ({error.strerror}): "
                           "check that you may read it and its folder") from None
    if head and head != _SQLITE_MAGIC:
        raise StoreProblem(f"the store {path} is not a neatlogs store (not an SQLite file): {_aside(path)}")


def _open_readonly(path: str) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(os.path.abspath(path))
    try:
        conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=10, check_same_thread=False)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        # A WAL store on a read-only filesystem cannot get its shared-memory file: nothing
        # writes it there either, so it is read as the unchanging file it is.
        conn = sqlite3.connect(uri + "?immutable=1", uri=True, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _check_schema(path: str, conn: sqlite3.Connection) -> int:
    """The store's schema version; raise StoreProblem when its tables are missing or it is newer."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > store.SCHEMA_VERSION:
        raise StoreProblem(
            f"the store {path} was written by a newer neatlogs (schema version {version}; this one "
            f"reads up to {store.SCHEMA_VERSION}): upgrade neatlogs (pip install -U neatlogs)"
        )
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    missing = [t for t in _TABLES if t not in tables]
    if version and missing:
        raise StoreProblem(f"the store {path} is damaged (no {missing[0]} table): {_aside(path)}")
    return int(version)


def _backfilled(path: str) -> sqlite3.Connection:
    """A writable connection to the store, once the tables a migration left to fill are filled."""
    conn = store.connect(path)
    try:
        backfill.run(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def open_for_reading(path: str) -> sqlite3.Connection | None:
    """A connection to read the store at ``path``, or None when there is no store there yet.

    A store of an older schema is upgraded first when it can be written, and what the
    upgrade left to fill from its older spans is filled (``neatlogs.store.backfill``: the
    reading side does it, never a traced program). Reads through the connection repair
    invalid UTF-8 instead of failing.

    Raises:
        StoreProblem: the store cannot be read (the message says why and what to do).
    """
    if not os.path.exists(path):
        return None
    _check_header(path)
    try:
        conn = _open_readonly(path)
        version = _check_schema(path, conn)
        if version < store.SCHEMA_VERSION and os.path.getsize(path) > 0:
            conn.close()
            if not is_writable(path):
                raise StoreProblem(
                    f"the store {path} is from an older neatlogs (schema version {version}) and read-only: "
                    "make it writable once (chmod u+w) so it can be upgraded"
                )
            conn = store.connect(path)  # migrates it forward
        elif version < store.SCHEMA_VERSION:
            conn.close()
            return None  # an empty file: nothing recorded yet
        if backfill.pending(conn) and is_writable(path):
            conn.close()
            conn = _backfilled(path)
    except sqlite3.DatabaseError as error:
        raise StoreProblem(describe(path, error)) from None
    conn.row_factory = sqlite3.Row
    conn.text_factory = readers_text_factory
    return conn


def reading(path: str, read: Callable[[sqlite3.Connection | None], T]) -> T:
    """Run ``read`` on the store's connection; any SQLite error becomes a :class:`StoreProblem`."""
    conn = open_for_reading(path)
    try:
        return read(conn)
    except sqlite3.DatabaseError as error:
        raise StoreProblem(describe(path, error)) from None
    finally:
        if conn is not None:
            conn.close()

