"""Reading the local store: sessions (listed, searched, by id prefix), one session, one trace.

Every query returns typed records from :mod:`.records`; their ``to_json()`` is the shape the
JSON API and ``--json`` print.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import fields
from typing import Any, Iterator

from ..semconv import GEN_AI_CONVERSATION_ID, SESSION_ID
from . import bounded_json
from .records import SessionDetail, SessionSummary, SpanRecord, TraceSpans, TraceSummary
from .schema import LOCAL_ROOT_SQL, local_root_sql
from .turns import starts_turn

__all__ = [
    "find_session_ids",
    "find_trace_ids",
    "get_session",
    "get_session_page",
    "get_session_summary",
    "get_trace",
    "iter_spans",
    "list_sessions",
    "list_traces",
]

_COLUMN_DEPTH = 64
"""Deepest JSON a row's attributes, events or resource column may nest (OTLP values nest a few levels)."""


def _loads(raw: str | None, empty: dict | list) -> Any:
    """A JSON column of one row; a value no reader can use (damaged, or nested past the
    recursion limit by a foreign writer) reads as empty, so one row never fails the page."""
    try:
        # Bounded, not json.loads alone: how deep json.loads gets before RecursionError differs
        # between Python versions (3.13 reads 5,000 levels that 3.11 refuses).
        value = bounded_json.loads(raw, _COLUMN_DEPTH) if raw else empty
        if _ESCAPED_SURROGATE.search(raw or ""):  # "\\ud800" from a foreign writer: unprintable
            value = json.loads(_repaired(json.dumps(value, ensure_ascii=False)))
    except (ValueError, RecursionError):
        return empty
    return value if isinstance(value, type(empty)) else empty


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _repaired(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (pairs are joined already)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _span(row: sqlite3.Row) -> SpanRecord:
    """The record of one ``spans`` row (its session and service columns derive from the JSON)."""
    return SpanRecord(
        trace_id=row["trace_id"],
        span_id=row["span_id"],
        parent_span_id=row["parent_span_id"],
        name=row["name"],
        start_time_ns=row["start_time_ns"],
        end_time_ns=row["end_time_ns"],
        kind=row["kind"],
        span_kind=row["span_kind"],
        status_code=row["status_code"],
        status_message=row["status_message"],
        attributes=_loads(row["attributes"], {}),
        events=_loads(row["events"], []),
        resource=_loads(row["resource"], {}),
        parent_is_remote=bool(row["parent_remote"]),
    )


_SUMMARY_COLUMNS = tuple(f.name for f in fields(SessionSummary))


def _summary_values(row: sqlite3.Row) -> dict[str, object]:
    """The ``sessions`` row's columns by name (by name, so a column added later is harmless)."""
    values = {name: row[name] for name in _SUMMARY_COLUMNS}
    values["no_session"] = bool(values["no_session"])
    # Roots that are all steps or tool-loop calls still show as one turn (timeline.build_turns).
    if not values["turn_count"] and values["trace_count"]:
        values["turn_count"] = 1
    return values


def _summary(row: sqlite3.Row) -> SessionSummary:
    return SessionSummary(**_summary_values(row))  # type: ignore[arg-type]


def list_sessions(conn: sqlite3.Connection, limit: int = 50, search: str | None = None) -> list[SessionSummary]:
    """Return the most recently active sessions, newest first.

    Args:
        conn: a store connection.
        limit: the most sessions to return.
        search: matches a part of the session id, or words of any turn's input or output
            text (in order, the last one as a prefix; case and accents do not matter).

    Returns:
        The sessions' totals, most recent activity first.
    """
    if not search:
        rows = conn.execute("SELECT * FROM sessions ORDER BY last_end_ns DESC LIMIT ?", (limit,)).fetchall()
        return [_summary(r) for r in rows]
    like = "%" + _escape_like(search) + "%"
    # The words in order, the last one as a prefix: "order #10" finds "my order #1042".
    phrase = '"' + search.replace('"', '""') + '"*'
    rows = conn.execute(
        """SELECT * FROM sessions WHERE session_id LIKE ?1 ESCAPE '\\'
             OR session_id IN (SELECT session_id FROM spans WHERE rowid IN
                               (SELECT rowid FROM span_text WHERE span_text MATCH ?2))
           ORDER BY last_end_ns DESC LIMIT ?3""",
        (like, phrase, limit),
    ).fetchall()
    return [_summary(r) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_session_ids(conn: sqlite3.Connection, prefix: str, limit: int = 2) -> list[str]:
    """Return up to ``limit`` session ids that start with ``prefix`` (exact match first)."""
    exact = conn.execute("SELECT session_id FROM sessions WHERE session_id = ?", (prefix,)).fetchone()
    if exact:
        return [exact[0]]
    rows = conn.execute(
        "SELECT session_id FROM sessions WHERE session_id LIKE ? ESCAPE '\\' LIMIT ?",
        (_escape_like(prefix) + "%", limit),
    ).fetchall()
    return [r[0] for r in rows]


def get_session_summary(conn: sqlite3.Connection, session_id: str) -> SessionSummary | None:
    """Return a session's totals alone (cheap: one row), or None when unknown."""
    row = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    return _summary(row) if row is not None else None


def get_session(conn: sqlite3.Connection, session_id: str) -> SessionDetail | None:
    """Return a session's totals and its traces in start order, each with its spans, or None."""
    summary = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    if summary is None:
        return None
    rows = conn.execute("SELECT * FROM spans WHERE session_id = ? ORDER BY start_time_ns", (session_id,)).fetchall()
    traces: dict[str, TraceSpans] = {}
    for row in rows:
        trace_id = row["trace_id"]
        trace = traces.get(trace_id)
        if trace is None:
            trace = traces[trace_id] = TraceSpans(trace_id)
        trace.spans.append(_span(row))
    # Spans come in start order, so each trace's first span is its earliest.
    ordered = sorted(traces.values(), key=lambda t: t.spans[0].start_time_ns)
    return SessionDetail(**_summary_values(summary), traces=ordered)  # type: ignore[arg-type]


_ROOTS = f"SELECT * FROM spans WHERE session_id = ? AND {LOCAL_ROOT_SQL}"
_IN_CHUNK = 500  # trace ids per IN (...) query, well under SQLite's parameter limit


def get_session_page(
    conn: sqlite3.Connection,
    session_id: str,
    turns: int = 50,
    before_ns: int | None = None,
    after_ns: int | None = None,
) -> tuple[SessionDetail, bool] | None:
    """A window of a session: its totals and only the traces of some of its turns, or None.

    A session of tens of thousands of turns is never read whole: the roots are walked from the
    newest (or from ``before_ns``, exclusive) back until ``turns`` turns have started, and only
    those traces' spans are read. With ``after_ns``, the window is every trace whose root starts
    at or after it (what a live page fetches: its last turn again, and what is new).

    Returns:
        ``(detail, has_earlier)``: the totals with the window's traces in start order, and
        whether older roots exist before the window. A session whose spans have no root at all
        (its roots never arrived) is returned whole.
    """
    summary = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    if summary is None:
        return None
    if after_ns is not None:
        rows = conn.execute(_ROOTS + " AND start_time_ns >= ? ORDER BY start_time_ns", (session_id, after_ns))
        roots, has_earlier = [_span(r) for r in rows], True
    else:
        roots, has_earlier = _latest_turn_roots(conn, session_id, turns, before_ns)
    if not roots and before_ns is None and after_ns is None:
        whole = get_session(conn, session_id)
        return (whole, False) if whole is not None else None
    # A trace may have several roots here (a back end called twice in one trace): read it once.
    trace_ids = list(dict.fromkeys(root.trace_id for root in roots))
    traces = {trace_id: TraceSpans(trace_id) for trace_id in trace_ids}
    for i in range(0, len(trace_ids), _IN_CHUNK):
        chunk = trace_ids[i:i + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT * FROM spans WHERE trace_id IN ({marks}) AND session_id = ? ORDER BY start_time_ns"
        for row in conn.execute(query, (*chunk, session_id)):
            traces[row["trace_id"]].spans.append(_span(row))
    ordered = sorted((t for t in traces.values() if t.spans), key=lambda t: t.spans[0].start_time_ns)
    return SessionDetail(**_summary_values(summary), traces=ordered), has_earlier  # type: ignore[arg-type]


def _latest_turn_roots(conn: sqlite3.Connection, session_id: str, turns: int,
                       before_ns: int | None) -> tuple[list[SpanRecord], bool]:
    """The newest roots (before ``before_ns``) back to the one starting the ``turns``-th turn, oldest first."""
    where = _ROOTS + (" AND start_time_ns < ?" if before_ns is not None else "")
    params: tuple[object, ...] = (session_id, before_ns) if before_ns is not None else (session_id,)
    batch = max(turns * 3, 16)
    chosen: list[SpanRecord] = []
    started = 0
    offset = 0
    while True:
        page = (*params, batch, offset)
        rows = conn.execute(where + " ORDER BY start_time_ns DESC LIMIT ? OFFSET ?", page).fetchall()
        for row in rows:
            root = _span(row)
            chosen.append(root)
            if starts_turn(root):
                started += 1
                if started >= turns:
                    older = conn.execute(where.replace("SELECT *", "SELECT 1", 1)
                                         + " AND start_time_ns <= ? LIMIT 2", (*params, root.start_time_ns))
                    has_earlier = len(older.fetchall()) > 1  # the root itself is one of them
                    return chosen[::-1], has_earlier
        if len(rows) < batch:
            return chosen[::-1], False
        offset += batch


def get_trace(conn: sqlite3.Connection, trace_id: str) -> TraceSpans | None:
    """Return one trace with its spans in start order, or None when unknown."""
    rows = conn.execute("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_time_ns", (trace_id,)).fetchall()
    return TraceSpans(trace_id, [_span(r) for r in rows]) if rows else None


def iter_spans(conn: sqlite3.Connection) -> Iterator[SpanRecord]:
    """Yield every stored span in start order (for tests and exports)."""
    for row in conn.execute("SELECT * FROM spans ORDER BY start_time_ns"):
        yield _span(row)


def find_trace_ids(conn: sqlite3.Connection, prefix: str, limit: int = 2) -> list[str]:
    """Return up to ``limit`` trace ids that start with ``prefix`` (exact match first)."""
    if conn.execute("SELECT 1 FROM spans WHERE trace_id = ? LIMIT 1", (prefix,)).fetchone():
        return [prefix]
    # A range on the primary key, not LIKE (case-insensitive LIKE cannot use the index).
    rows = conn.execute(
        "SELECT DISTINCT trace_id FROM spans WHERE trace_id >= ? AND trace_id < ? LIMIT ?",
        (prefix, prefix + "\U0010ffff", limit),
    ).fetchall()
    return [r[0] for r in rows]


def list_traces(conn: sqlite3.Connection, limit: int = 50) -> list[TraceSummary]:
    """Return the most recent traces (by their root's start), newest first, with or without a session."""
    rows = conn.execute(
        f"""SELECT r.trace_id, r.session_id, r.name, r.service_name, r.start_time_ns,
                  CASE WHEN json_valid(r.attributes)  -- a damaged row lists, it does not fail the list
                       THEN json_extract(r.attributes, '$."' || ?2 || '"') END AS session_attribute,
                  CASE WHEN json_valid(r.attributes)
                       THEN json_extract(r.attributes, '$."' || ?3 || '"') END AS conversation_attribute,
                  (SELECT MAX(end_time_ns) FROM spans s WHERE s.trace_id = r.trace_id) AS end_time_ns,
                  (SELECT COUNT(*) FROM spans s WHERE s.trace_id = r.trace_id) AS span_count,
                  (SELECT COUNT(*) FROM spans s WHERE s.trace_id = r.trace_id AND s.status_code = 'ERROR')
                      AS error_count
           FROM spans r WHERE {local_root_sql('r')}
             -- a trace with roots in several processes lists once, by its first root (a true root first)
             AND NOT EXISTS (SELECT 1 FROM spans o WHERE o.trace_id = r.trace_id AND o.rowid != r.rowid
                             AND {local_root_sql('o')}
                             AND ((o.parent_span_id IS NULL) > (r.parent_span_id IS NULL)
                                  OR ((o.parent_span_id IS NULL) = (r.parent_span_id IS NULL)
                                      AND (o.start_time_ns, o.rowid) < (r.start_time_ns, r.rowid))))
           ORDER BY r.start_time_ns DESC LIMIT ?1""",
        (limit, SESSION_ID, GEN_AI_CONVERSATION_ID),
    ).fetchall()
    return [
        TraceSummary(
            trace_id=r["trace_id"],
            session_id=r["session_id"] if (r["session_attribute"] or r["conversation_attribute"]) else None,
            name=r["name"], service_name=r["service_name"], start_time_ns=r["start_time_ns"],
            end_time_ns=r["end_time_ns"], span_count=r["span_count"], error_count=r["error_count"],
        )
        for r in rows
    ]
