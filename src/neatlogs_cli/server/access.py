"""Shared state of one dashboard process: the store's connections and the API key check."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
from typing import Any, Iterable

from neatlogs import store

__all__ = ["API_KEY_HEADER", "KEY_COOKIE", "Access"]

API_KEY_HEADER = "x-api-key"
"""The header OTLP exporters and scripts send the key in (the same one the SDK sends)."""

KEY_COOKIE = "neatlogs_key"
"""The cookie the dashboard's login form sets: a digest of the key, never the key itself."""


class Access:
    """The store connections and key of one server.

    Writes go through one connection under a lock (SQLite allows one writer at a time
    anyway); each server thread reads through its own connection, opened once, so no
    request pays for opening the file or checking the schema.
    """

    def __init__(self, db_path: str, api_key: str | None = None) -> None:
        self.db_path = db_path
        self.api_key = api_key or None
        self._writer = store.connect(db_path)  # creates and migrates the file up front
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._cookie = (
            hmac.new(self.api_key.encode(), b"neatlogs-dashboard", hashlib.sha256).hexdigest()
            if self.api_key
            else None
        )

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self.db_path)
            self._local.conn = conn
        return conn

    def write(self, records: Iterable[Any]) -> int:
        """Insert span records in one committed transaction; return how many were new."""
        with self._write_lock:
            return store.insert_spans(self._writer, records)

    @property
    def cookie_value(self) -> str | None:
        """What the login cookie holds when the key was given (None without a key)."""
        return self._cookie

    def key_matches(self, header: str | None) -> bool:
        """True when no key is required or ``header`` is the key (constant-time compare)."""
        if self.api_key is None:
            return True
        return header is not None and hmac.compare_digest(header.encode(), self.api_key.encode())

    def browser_allowed(self, header: str | None, cookie: str | None) -> bool:
        """True for the pages and API: no key required, the key header, or the login cookie."""
        if self.api_key is None or self.key_matches(header):
            return True
        return cookie is not None and hmac.compare_digest(cookie.encode(), self._cookie.encode())

    def close(self) -> None:
        """Close the writer connection (reader connections close with their threads)."""
        with self._write_lock:
            self._writer.close()
