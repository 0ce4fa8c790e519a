"""The store connections of one dashboard process: one writer under a lock, a reader per thread."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Callable, Iterable, TypeVar

from starlette.requests import Request

from neatlogs import store

from .. import costs, pricing
from ..store_open import StoreProblem, is_writable, open_for_reading, readers_text_factory

__all__ = ["ReadOnlyStore", "StoreAccess", "request_reader"]


class ReadOnlyStore(Exception):
    """The store is served read-only: it takes no spans (the message says so, for the collector)."""

T = TypeVar("T")


class StoreAccess:
    """The store connections of one server.

    Writes go through one connection under a lock (SQLite allows one writer at a time
    anyway); each server thread reads through its own connection, opened once, so no
    request pays for opening the file or checking the schema. A store that cannot be
    written (a read-only file or filesystem) is served read-only: pages work, writes raise
    :class:`ReadOnlyStore`.

    Raises:
        StoreProblem: the store cannot be read at all (the message names the problem and the fix).
    """

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.readonly = not is_writable(db_path)
        self._writer: sqlite3.Connection | None = None
        if self.readonly:
            checked = open_for_reading(db_path)  # raises StoreProblem when broken
            if checked is None:
                raise StoreProblem(f"there is no store at {db_path} and its folder cannot be written: "
                                   "give a writable --db, or make the folder writable")
            checked.close()
        else:
            checked = open_for_reading(db_path)  # a broken store is one clear line, before any write
            if checked is not None:
                checked.close()
            try:
                self._writer = store.connect(db_path)  # creates and migrates the file up front
                costs.refresh(pricing.install(self._writer))  # what the store holds priced before the first page
            except sqlite3.DatabaseError as error:
                from ..store_open import describe

                raise StoreProblem(describe(db_path, error)) from None
        self._write_lock = threading.Lock()
        self._local = threading.local()

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_for_reading(self.db_path) if self.readonly else store.connect(self.db_path)
            if conn is None:
                raise StoreProblem(f"the store {self.db_path} is gone")
            conn.text_factory = readers_text_factory
            pricing.install(conn)  # costs are priced in SQL
            self._local.conn = conn
        return conn

    def write(self, records: Iterable[Any]) -> int:
        """Insert span records in one committed transaction; return how many were new."""
        if self._writer is None:
            raise ReadOnlyStore(f"the store {self.db_path} is read-only: this dashboard serves it "
                                "read-only and takes no spans (make it writable and restart neatlogs ui)")
        with self._write_lock:
            return store.insert_spans(self._writer, records)

    def maintain(self, change: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``change`` (a delete, a prune) on the writer connection, between inserts."""
        if self._writer is None:
            raise ReadOnlyStore(f"the store {self.db_path} is read-only: this dashboard cannot change it")
        with self._write_lock:
            return change(self._writer)

    def close(self) -> None:
        """Close the writer connection (reader connections close with their threads)."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()


def request_reader(request: Request) -> sqlite3.Connection:
    """The read connection, for this thread, of the server answering ``request``."""
    access: StoreAccess = request.app.state.store
    return access.reader()
