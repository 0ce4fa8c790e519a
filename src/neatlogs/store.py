"""The local SQLite store: its schema, and every query the exporter, collector and CLI run.

One file, ``$NEATLOGS_HOME/traces.db``, in WAL mode so several processes may write at
once while the dashboard reads. Spans are stored one row each, with their attributes,
events and resource as JSON; a ``sessions`` table keeps per-session totals up to date on
every insert so listing sessions never scans the spans. ``PRAGMA user_version`` holds the
schema version; :func:`connect` migrates older files forward.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from . import semconv

__all__ = [
    "SCHEMA_VERSION",
    "SpanRecord",
    "connect",
    "find_session_ids",
    "get_session",
    "get_session_summary",
    "get_trace",
    "insert_spans",
    "iter_spans",
    "list_sessions",
]

SCHEMA_VERSION = 2
"""Bumped with every schema change; each bump adds a step to ``_MIGRATIONS``."""

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id        TEXT NOT NULL,
    span_id         TEXT NOT NULL,
    parent_span_id  TEXT,
    name            TEXT NOT NULL,
    kind            TEXT,            -- openinference.span.kind (AGENT, LLM, ...)
    span_kind       TEXT,            -- OpenTelemetry kind (INTERNAL, CLIENT, ...)
    start_time_ns   INTEGER NOT NULL,
    end_time_ns     INTEGER NOT NULL,
    status_code     TEXT NOT NULL,   -- UNSET, OK, ERROR
    status_message  TEXT,
    session_id      TEXT,
    service_name    TEXT,
    attributes      TEXT NOT NULL,   -- JSON object
    events          TEXT NOT NULL,   -- JSON list of {name, time_ns, attributes}
    resource        TEXT NOT NULL,   -- JSON object
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_session ON spans (session_id, start_time_ns);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_time_ns);
CREATE TABLE IF NOT EXISTS sessions (
    session_id      TEXT PRIMARY KEY,
    service_name    TEXT,
    first_start_ns  INTEGER NOT NULL,
    last_end_ns     INTEGER NOT NULL,
    span_count      INTEGER NOT NULL DEFAULT 0,
    trace_count     INTEGER NOT NULL DEFAULT 0,  -- root spans: one per turn
    error_count     INTEGER NOT NULL DEFAULT 0,
    token_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_last ON sessions (last_end_ns);
"""

# Version 2: a full-text index over each turn's input and output (root spans only, so
# the index stays a fraction of the store), for the dashboard's search without scanning
# every span. The start-time index goes: no query needs it, and every insert paid for it.
# Word tokens (unicode61), not trigrams: trigrams cost ~5x more per insert
# (measured with bench/ingest.py) for substring matches inside words. Contentless: the
# text already lives in spans.attributes; the index maps it to spans' rowids.
_SEARCH_TEXT_SQL = (
    f"COALESCE(json_extract(attributes, '$.\"{semconv.INPUT_VALUE}\"'), '') || ' ' || "
    f"COALESCE(json_extract(attributes, '$.\"{semconv.OUTPUT_VALUE}\"'), '')"
)
_SCHEMA_V2 = f"""
DROP INDEX IF EXISTS spans_start;
CREATE VIRTUAL TABLE IF NOT EXISTS span_text USING fts5(text, content='', tokenize='unicode61 remove_diacritics 2');
INSERT INTO span_text (rowid, text)
    SELECT rowid, {_SEARCH_TEXT_SQL} FROM spans WHERE parent_span_id IS NULL
"""

# _MIGRATIONS[n] takes a file at version n to n + 1.
_MIGRATIONS: dict[int, str] = {0: _SCHEMA_V1, 1: _SCHEMA_V2}

_SEARCH_TEXT_CHARS = 4096
"""How much of a turn's input and output the search index keeps."""


@dataclass
class SpanRecord:
    """One finished span, in the shape the store keeps it."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_time_ns: int
    end_time_ns: int
    kind: str | None = None
    span_kind: str | None = None
    status_code: str = "UNSET"
    status_message: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)

    @property
    def session_id(self) -> str | None:
        """The span's session id attribute, if any."""
        value = self.attributes.get(semconv.SESSION_ID)
        return str(value) if value is not None else None

    @property
    def service_name(self) -> str | None:
        """The ``service.name`` of the span's resource."""
        value = self.resource.get(semconv.SERVICE_NAME)
        return str(value) if value is not None else None

    @property
    def token_count(self) -> int:
        """Total tokens the span reports (0 when none)."""
        value = self.attributes.get(semconv.LLM_TOKEN_COUNT_TOTAL)
        return value if isinstance(value, int) else 0


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating when needed) the store at ``path`` in WAL mode."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.row_factory = sqlite3.Row
        return conn
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        while version < SCHEMA_VERSION:
            for statement in _MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
            version += 1
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# One encoder for every call: json.dumps with options builds a new one each time (measured).
_dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode


def insert_spans(conn: sqlite3.Connection, records: Iterable[SpanRecord]) -> int:
    """Write ``records`` in one transaction and update the session totals; return rows added.

    A span already stored (same trace and span id) is skipped, so a retried batch never
    counts twice.
    """
    added = 0
    totals: dict[str, list[Any]] = {}
    # The spans of one export share their resource: encode each resource once. The memo
    # keeps the dict alive, so its id cannot be reused by another during the call.
    resources: dict[int, tuple[Any, str]] = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        for r in records:
            resource = resources.get(id(r.resource))
            if resource is None or resource[0] is not r.resource:
                resource = resources[id(r.resource)] = (r.resource, _dumps(r.resource))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    r.trace_id, r.span_id, r.parent_span_id, r.name, r.kind, r.span_kind,
                    r.start_time_ns, r.end_time_ns, r.status_code, r.status_message,
                    r.session_id, r.service_name, _dumps(r.attributes),
                    _dumps(r.events) if r.events else "[]", resource[1],
                ),
            )
            if cursor.rowcount != 1:
                continue
            added += 1
            if r.parent_span_id is None:
                text = _search_text(r.attributes)
                if text:
                    conn.execute("INSERT INTO span_text (rowid, text) VALUES (?, ?)", (cursor.lastrowid, text))
            if r.session_id is None:
                continue
            t = totals.setdefault(r.session_id, [r.service_name, r.start_time_ns, r.end_time_ns, 0, 0, 0, 0])
            t[0] = t[0] or r.service_name
            t[1] = min(t[1], r.start_time_ns)
            t[2] = max(t[2], r.end_time_ns)
            t[3] += 1
            t[4] += 1 if r.parent_span_id is None else 0
            t[5] += 1 if r.status_code == "ERROR" else 0
            # Count tokens on LLM spans only, so a wrapper span repeating them is not double-counted.
            t[6] += r.token_count if r.kind in ("LLM", None) else 0
        conn.executemany(
            """INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?)
               ON CONFLICT(session_id) DO UPDATE SET
                 service_name = COALESCE(sessions.service_name, excluded.service_name),
                 first_start_ns = MIN(sessions.first_start_ns, excluded.first_start_ns),
                 last_end_ns = MAX(sessions.last_end_ns, excluded.last_end_ns),
                 span_count = sessions.span_count + excluded.span_count,
                 trace_count = sessions.trace_count + excluded.trace_count,
                 error_count = sessions.error_count + excluded.error_count,
                 token_count = sessions.token_count + excluded.token_count""",
            [(sid, *t) for sid, t in totals.items()],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return added


def _search_text(attributes: dict[str, Any]) -> str:
    parts = [attributes.get(semconv.INPUT_VALUE), attributes.get(semconv.OUTPUT_VALUE)]
    text = " ".join(str(p) for p in parts if p is not None)
    return text[:_SEARCH_TEXT_CHARS]


def _span_dict(row: sqlite3.Row) -> dict[str, Any]:
    span = dict(row)
    for key in ("attributes", "events", "resource"):
        span[key] = json.loads(span[key])
    return span


def list_sessions(
    conn: sqlite3.Connection, limit: int = 50, search: str | None = None
) -> list[dict[str, Any]]:
    """Return the most recently active sessions, newest first, as dicts of their totals.

    ``search`` matches a part of the session id, or words of any turn's input or output
    text (in order, the last one as a prefix; case and accents do not matter).
    """
    if not search:
        rows = conn.execute(
            "SELECT * FROM sessions ORDER BY last_end_ns DESC LIMIT ?", (limit,)
        ).fetchall()
        return [dict(r) for r in rows]
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
    return [dict(r) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_session_ids(conn: sqlite3.Connection, prefix: str, limit: int = 2) -> list[str]:
    """Return up to ``limit`` session ids that start with ``prefix`` (exact match first)."""
    exact = conn.execute("SELECT session_id FROM sessions WHERE session_id = ?", (prefix,)).fetchone()
    if exact:
        return [exact[0]]
    escaped = _escape_like(prefix)
    rows = conn.execute(
        "SELECT session_id FROM sessions WHERE session_id LIKE ? ESCAPE '\\' LIMIT ?",
        (escaped + "%", limit),
    ).fetchall()
    return [r[0] for r in rows]


def get_session_summary(conn: sqlite3.Connection, session_id: str) -> dict[str, Any] | None:
    """Return a session's totals alone (cheap: one row), or None when unknown."""
    row = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    return dict(row) if row is not None else None


def get_session(conn: sqlite3.Connection, session_id: str) -> dict[str, Any] | None:
    """Return a session's totals and its traces in start order, each with its spans, or None."""
    summary = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    if summary is None:
        return None
    rows = conn.execute(
        "SELECT * FROM spans WHERE session_id = ? ORDER BY start_time_ns", (session_id,)
    ).fetchall()
    traces: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        traces.setdefault(row["trace_id"], []).append(_span_dict(row))
    ordered = sorted(traces.items(), key=lambda item: item[1][0]["start_time_ns"])
    return {
        **dict(summary),
        "traces": [{"trace_id": tid, "spans": spans} for tid, spans in ordered],
    }


def get_trace(conn: sqlite3.Connection, trace_id: str) -> list[dict[str, Any]]:
    """Return the spans of one trace in start order (empty when unknown)."""
    rows = conn.execute(
        "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_time_ns", (trace_id,)
    ).fetchall()
    return [_span_dict(r) for r in rows]


def iter_spans(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Yield every stored span in start order (for tests and exports)."""
    for row in conn.execute("SELECT * FROM spans ORDER BY start_time_ns"):
        yield _span_dict(row)
