"""Keeping the local store tidy: delete a session or a trace, prune old sessions, report its size.

Deletes keep the store consistent: a session goes with its spans and their search text; a
trace goes with its spans, and its session's totals are counted again from what is left.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from .backfill import id_text, indexed_ids
from .records import SpanRecord, token_counts
from .rollup import HOUR_NS, forget
from .schema import LOCAL_ROOT_SQL, write_transaction
from .turns import starts_turn
from .write import search_text

__all__ = ["StoreStats", "delete_session", "delete_trace", "prune", "stats"]

_BATCH = 500  # sessions deleted per transaction by prune: writers wait at most one batch


@dataclass(frozen=True)
class StoreStats:
    """How big the store is and how far back it goes."""

    path: str
    file_bytes: int
    span_count: int
    trace_count: int
    session_count: int
    oldest_start_ns: int | None
    newest_end_ns: int | None

    def to_json(self) -> dict[str, Any]:
        """The figures as ``neatlogs stats --json`` prints them."""
        return asdict(self)


def stats(conn: sqlite3.Connection, path: str) -> StoreStats:
    """The store's file size (with its write-ahead log), span, trace and session counts, time range."""
    size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    spans, oldest, newest = conn.execute(
        "SELECT COUNT(*), MIN(start_time_ns), MAX(end_time_ns) FROM spans").fetchone()
    traces = conn.execute(f"SELECT COUNT(DISTINCT trace_id) FROM spans WHERE {LOCAL_ROOT_SQL}").fetchone()[0]
    sessions = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    return StoreStats(path, size, spans, traces, sessions, oldest, newest)


def _forget_search_text(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> None:
    """Remove the deleted roots' rows from the contentless search indexes (they need their text back)."""
    rows = conn.execute("SELECT rowid, attributes, events, trace_id, session_id, name FROM spans"
                        f" WHERE {LOCAL_ROOT_SQL} AND {where}", params).fetchall()
    missing = indexed_ids(conn)  # roots the ids backfill has not reached: not in span_ids yet
    for rowid, attributes, events, trace_id, session_id, name in rows:
        decoded = json.loads(attributes)
        text = search_text(decoded, json.loads(events))
        if text:
            conn.execute("INSERT INTO span_text (span_text, rowid, text) VALUES ('delete', ?, ?)", (rowid, text))
        if missing is None or not missing[0] <= rowid <= missing[1]:
            conn.execute("INSERT INTO span_ids (span_ids, rowid, text) VALUES ('delete', ?, ?)",
                         (rowid, id_text(trace_id, session_id, decoded, name)))


def delete_session(conn: sqlite3.Connection, session_id: str) -> int:
    """Delete a session (or a no-session trace's entry) with all its spans; returns spans deleted."""
    return _delete_sessions(conn, [session_id], hours=True)


def _delete_sessions(conn: sqlite3.Connection, session_ids: list[str], hours: bool) -> int:
    """Delete these sessions and their spans in one transaction; returns spans deleted.

    With ``hours``, their spans are also subtracted from the hourly figures (prune drops
    whole old hours instead, without reading every span it deletes).
    """
    from .read import _span

    deleted = 0
    with write_transaction(conn):
        spans = []
        if hours:
            for session_id in session_ids:
                spans += [_span(r) for r in conn.execute("SELECT * FROM spans WHERE session_id = ?", (session_id,))]
        forget(conn, spans, "session_id", session_ids)
        for session_id in session_ids:
            _forget_search_text(conn, "session_id = ?", (session_id,))
            deleted += conn.execute("DELETE FROM spans WHERE session_id = ?", (session_id,)).rowcount
            conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
    return deleted


def delete_trace(conn: sqlite3.Connection, trace_id: str) -> int:
    """Delete one trace's spans and count its session's totals again; returns spans deleted."""
    from .read import _span

    with write_transaction(conn):
        sessions = [r[0] for r in conn.execute("SELECT DISTINCT session_id FROM spans WHERE trace_id = ?",
                                               (trace_id,))]
        forget(conn, [_span(r) for r in conn.execute("SELECT * FROM spans WHERE trace_id = ?", (trace_id,))],
               "trace_id", [trace_id])
        _forget_search_text(conn, "trace_id = ?", (trace_id,))
        deleted = conn.execute("DELETE FROM spans WHERE trace_id = ?", (trace_id,)).rowcount
        for session_id in sessions:
            _recount(conn, session_id, [_span(r) for r in conn.execute(
                "SELECT * FROM spans WHERE session_id = ?", (session_id,))])
    return deleted


def _recount(conn: sqlite3.Connection, session_id: str, spans: list[SpanRecord]) -> None:
    """Set a session's totals from its remaining spans, or drop it when none remain."""
    if not spans:
        conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
        return
    tokens = _innermost_tokens(spans)
    roots = [s for s in spans if s.is_local_root]
    conn.execute(
        """UPDATE sessions SET first_start_ns = ?, last_end_ns = ?, span_count = ?, trace_count = ?,
                               error_count = ?, token_count = ?, turn_count = ? WHERE session_id = ?""",
        (min(s.start_time_ns for s in spans), max(s.end_time_ns for s in spans), len(spans), len(roots),
         sum(1 for s in spans if s.status_code == "ERROR"), tokens, sum(1 for r in roots if starts_turn(r)),
         session_id),
    )


def _innermost_tokens(spans: list[SpanRecord]) -> int:
    """Tokens of the spans none of whose descendants report any (each model call once)."""
    reporting: set[str] = set()  # spans that report tokens or have a descendant that does
    by_id = {s.span_id: s for s in spans}
    total = 0
    for span in sorted(spans, key=lambda s: -s.start_time_ns):  # children start after their parents
        counts = token_counts(span.attributes)
        if counts is not None and counts.total and span.span_id not in reporting:
            total += counts.total
        if (counts is not None and counts.total) or span.span_id in reporting:
            parent = span.parent_span_id
            while parent is not None and parent not in reporting:
                reporting.add(parent)
                parent = by_id[parent].parent_span_id if parent in by_id else None
    return total


def prune(conn: sqlite3.Connection, older_than_ns: int, *, vacuum: bool = True) -> tuple[int, int]:
    """Delete every session whose last span ended before ``older_than_ns`` (epoch ns).

    Sessions go whole, in batches of a few hundred per transaction, so a writer waits at most
    one batch. With ``vacuum``, the freed space is given back to the file system.

    Returns:
        ``(sessions deleted, spans deleted)``.
    """
    sessions = spans = 0
    while True:
        batch = [r[0] for r in conn.execute("SELECT session_id FROM sessions WHERE last_end_ns < ? LIMIT ?",
                                            (older_than_ns, _BATCH))]
        if not batch:
            break
        spans += _delete_sessions(conn, batch, hours=False)
        sessions += len(batch)
    if sessions:
        cutoff_hour = older_than_ns // HOUR_NS
        for table in ("trace_hours", "usage_hours"):
            conn.execute(f"DELETE FROM {table} WHERE hour < ?", (cutoff_hour,))
    if vacuum and sessions:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    return sessions, spans
