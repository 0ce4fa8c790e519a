"""The cost cache: each session's and trace's cost, priced by the reading side and kept in the store.

A traced program's writer cannot price (the pricing library is never loaded there), so the
store keeps the usage pricing needs, and the reading side keeps the costs (schema version
5): each ``sessions`` and ``traces`` row has its ``cost`` (USD, NULL when nothing in it is
priced) and ``unpriced`` calls, and a ``priced`` flag the writer clears on every row whose
usage it changes. Before a list is read, :func:`refresh` prices the rows whose flag is clear
and sets it again; when the cache was priced with another price table (another
``genai-prices``, or other rules here: :data:`COST_RULES`), every row is priced again.
The lists then filter and sort by cost through an index instead of pricing every row.

A store this process cannot write (read-only, or locked past the timeout) keeps its cache as
it is: :func:`refresh` answers False when the cache is not current, and the lists price in
the query instead, as before the cache existed.
"""

from __future__ import annotations

import sqlite3
from importlib import metadata

from neatlogs.store.schema import write_transaction

from . import pricing
from .list_queries import cost_of, unpriced_of

__all__ = ["COST_RULES", "FEW", "few_costly", "prices_version", "refresh"]

COST_RULES = 2
"""Bumped when how a cost is computed changes (``pricing``'s lookups, ``list_queries.COST_SQL``): all is repriced."""

FEW = 1000
"""Rows reaching a ``min_cost`` below which the lists find them through the cost index (see :func:`few_costly`)."""

_version: str | None = None


def prices_version() -> str:
    """The price table's version the cached costs are priced with: genai-prices' version and :data:`COST_RULES`."""
    global _version
    if _version is None:
        try:
            library = metadata.version("genai-prices")
        except metadata.PackageNotFoundError:
            library = "unknown"
        _version = f"genai-prices {library}; rules {COST_RULES}"
    return _version


def _current(conn: sqlite3.Connection) -> bool:
    """True when every row's cached cost is priced, with this price table."""
    try:
        row = conn.execute("SELECT prices FROM cost_cache").fetchone()
        if row is None or row[0] != prices_version():
            return False
        return not conn.execute("SELECT EXISTS (SELECT 1 FROM sessions WHERE priced = 0)"
                                " OR EXISTS (SELECT 1 FROM traces WHERE priced = 0)").fetchone()[0]
    except sqlite3.OperationalError:  # a store without the cache, read-only
        return False


_PRICE_SESSIONS = (f"UPDATE sessions SET cost = {cost_of('session_usage', 'u.session_id = sessions.session_id')},"
                   f" unpriced = COALESCE({unpriced_of('session_usage', 'u.session_id = sessions.session_id')}, 0),"
                   " priced = 1")
_PRICE_TRACES = (f"UPDATE traces SET cost = {cost_of('usage', 'u.trace_id = traces.trace_id')},"
                 f" unpriced = COALESCE({unpriced_of('usage', 'u.trace_id = traces.trace_id')}, 0), priced = 1")


def _reprice(conn: sqlite3.Connection) -> None:
    """Price the rows whose usage changed (all of them under a new price table), inside a write transaction."""
    pricing.refresh(conn)  # under the write lock: no model arrives between this and the pricing
    row = conn.execute("SELECT prices FROM cost_cache").fetchone()
    where = " WHERE priced = 0"
    if row is None or row[0] != prices_version():
        where = ""
        conn.execute("DELETE FROM cost_cache")
        conn.execute("INSERT INTO cost_cache (prices) VALUES (?)", (prices_version(),))
    conn.execute(_PRICE_SESSIONS + where)
    conn.execute(_PRICE_TRACES + where)


def refresh(conn: sqlite3.Connection) -> bool:
    """Bring the cost cache up to date and ``temp.prices`` with it; True when the lists may read the cache.

    ``conn`` has had :func:`neatlogs_cli.pricing.install`. False when the cache is not
    current and this connection cannot make it so (read-only, or another writer held the
    store past its timeout): the lists then price in their queries.
    """
    if not _current(conn):
        try:
            with write_transaction(conn):
                _reprice(conn)
        except sqlite3.OperationalError:
            pricing.refresh(conn)
            return False
    pricing.refresh(conn)
    return True


def few_costly(conn: sqlite3.Connection, table: str, minimum: float | None) -> bool:
    """True when fewer than :data:`FEW` rows of ``table`` (sessions, traces) cost ``minimum`` or more.

    Then the list reads them through the cost index and sorts them (few rows to sort);
    otherwise it scans in its own order (newest first) and meets a page of them soon. Either
    way a list reads about :data:`FEW` rows at most, however big the store.
    """
    if not minimum:
        return False
    index = {"sessions": "sessions_cost", "traces": "traces_cost"}[table]
    latency = " AND latency_ns IS NOT NULL" if table == "traces" else ""
    found = conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} INDEXED BY {index}"
                         f" WHERE cost >= ?{latency} LIMIT ?)", (minimum, FEW)).fetchone()[0]
    return bool(found < FEW)
