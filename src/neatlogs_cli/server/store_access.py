"""The store connections of one dashboard process: one writer under a lock, a reader per thread."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Callable, Iterable, TypeVar

from starlette.requests import Request

from neatlogs import store

from .. import pricing

__all__ = ["StoreAccess", "request_reader"]

T = TypeVar("T")


class StoreAccess:
    """The store connections of one server.

    Writes go through one connection under a lock (SQLite allows one writer at a time
    anyway); each server thread reads through its own connection, opened once, so no
    request pays for opening the file or checking the schema.
    """

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._writer = store.connect(db_path)  # creates and migrates the file up front
        self._write_lock = threading.Lock()
        self._local = threading.local()

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = pricing.install(store.connect(self.db_path))  # costs are priced in SQL
            self._local.conn = conn
        return conn

    def write(self, records: Iterable[Any]) -> int:
        """Insert span records in one committed transaction; return how many were new."""
        with self._write_lock:
            return store.insert_spans(self._writer, records)

    def maintain(self, change: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``change`` (a delete, a prune) on the writer connection, between inserts."""
        with self._write_lock:
            return change(self._writer)

    def close(self) -> None:
        """Close the writer connection (reader connections close with their threads)."""
        with self._write_lock:
            self._writer.close()


def request_reader(request: Request) -> sqlite3.Connection:
    """The read connection, for this thread, of the server answering ``request``."""
    access: StoreAccess = request.app.state.store
    return access.reader()
