"""Writing to the local store: spans in one transaction per batch, session totals, search text and ids."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from typing import Any, Iterable

from .. import semconv
from .backfill import id_text
from .chat import chat_text
from .records import SpanRecord
from .rollup import Rollup
from .schema import LOCAL_ROOT_SQL, write_transaction
from .turns import starts_turn

__all__ = ["insert_spans", "insert_spans_apart", "repaired_record", "search_text"]

_SEARCH_TEXT_CHARS = 4096
"""How much of a turn's input and output the search index keeps."""

# One encoder for every call: json.dumps with options builds a new one each time (measured).
_dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode


def insert_spans(conn: sqlite3.Connection, records: Iterable[SpanRecord]) -> int:
    """Write ``records`` in one transaction and update the session totals.

    A span already stored (same trace and span id) is skipped, so a retried batch never
    counts twice.

    Args:
        conn: a connection from :func:`neatlogs.store.connect` (autocommit mode).
        records: the spans to write.

    Returns:
        How many rows were added.
    """
    added = 0
    totals: dict[str, list[Any]] = {}
    # The spans of one export share their resource: encode each resource once. The memo
    # keeps the dict alive, so its id cannot be reused by another during the call.
    resources: dict[int, tuple[Any, str]] = {}
    rollup = Rollup(_flags)
    rooted: set[tuple[str, str]] = set()  # (trace id, session key) of the local roots in this batch
    first_rowid = 0
    with write_transaction(conn):
        for r in records:
            resource = resources.get(id(r.resource))
            if resource is None or resource[0] is not r.resource:
                resource = resources[id(r.resource)] = (r.resource, _dumps(r.resource))
            session_id = r.session_id
            cursor = conn.execute(
                "INSERT OR IGNORE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    r.trace_id, r.span_id, r.parent_span_id, r.name, r.kind, r.span_kind,
                    r.start_time_ns, r.end_time_ns, r.status_code, r.status_message,
                    session_id if session_id is not None else r.trace_id, r.service_name, _dumps(r.attributes),
                    _dumps(r.events) if r.events else "[]", resource[1], int(r.parent_is_remote),
                ),
            )
            if cursor.rowcount != 1:
                continue
            if not added:
                first_rowid = cursor.lastrowid or 0
            added += 1
            root = r.is_local_root
            key = session_id if session_id is not None else r.trace_id
            if root:
                text = search_text(r.attributes, r.events)
                if text:
                    conn.execute("INSERT INTO span_text (rowid, text) VALUES (?, ?)", (cursor.lastrowid, text))
                conn.execute("INSERT INTO span_ids (rowid, text) VALUES (?, ?)",
                             (cursor.lastrowid, id_text(r.trace_id, key, r.attributes, r.name)))
            t = totals.setdefault(key, [r.service_name, r.start_time_ns, r.end_time_ns, 0, 0, 0, 0, 0,
                                        int(session_id is None)])
            t[0] = t[0] or r.service_name
            t[1] = min(t[1], r.start_time_ns)
            t[2] = max(t[2], r.end_time_ns)
            t[3] += 1
            if root:
                rooted.add((r.trace_id, key))
            t[5] += 1 if r.status_code == "ERROR" else 0
            turn = root and starts_turn(r)
            t[6] += rollup.add(r, key, turn)
            t[7] += 1 if turn else 0
        for _, key in _new_traces(conn, rooted, first_rowid) if rooted else ():
            totals[key][4] += 1
        conn.executemany(
            """INSERT INTO sessions (session_id, service_name, first_start_ns, last_end_ns, span_count,
                                     trace_count, error_count, token_count, turn_count, no_session)
               VALUES (?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(session_id) DO UPDATE SET
                 service_name = COALESCE(sessions.service_name, excluded.service_name),
                 first_start_ns = MIN(sessions.first_start_ns, excluded.first_start_ns),
                 last_end_ns = MAX(sessions.last_end_ns, excluded.last_end_ns),
                 span_count = sessions.span_count + excluded.span_count,
                 trace_count = sessions.trace_count + excluded.trace_count,
                 error_count = sessions.error_count + excluded.error_count,
                 token_count = sessions.token_count + excluded.token_count,
                 turn_count = sessions.turn_count + excluded.turn_count""",
            [(sid, *t) for sid, t in totals.items()],
        )
        rollup.write(conn)
    return added


def _new_traces(conn: sqlite3.Connection, rooted: set[tuple[str, str]], first_rowid: int) -> list[tuple[str, str]]:
    """The (trace, session) pairs of ``rooted`` that no earlier batch gave a root: each trace counts once there.

    A trace rooted in two processes (a client and the MCP server it called, each under
    ``neatlogs run``) has two local roots, in two batches or one; it is one trace. A trace
    crossing sessions counts in each. ``first_rowid``: this batch's first span row.
    """
    ids = sorted({trace_id for trace_id, _ in rooted})
    known: set[tuple[str, str]] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        known.update((row[0], row[1]) for row in conn.execute(
            f"SELECT trace_id, session_id FROM spans WHERE trace_id IN ({','.join('?' * len(chunk))})"
            f" AND rowid < ? AND {LOCAL_ROOT_SQL}", [*chunk, first_rowid]))
    return [pair for pair in rooted if pair not in known]


def _is_store_error(error: BaseException) -> bool:
    """True for a problem of the store itself (locked, full, read-only, damaged); False for one span's values."""
    return isinstance(error, (sqlite3.OperationalError, OSError, MemoryError)) or type(error) is sqlite3.DatabaseError


def insert_spans_apart(conn: sqlite3.Connection, records: Iterable[SpanRecord]
                       ) -> tuple[int, list[tuple[SpanRecord, BaseException]]]:
    """:func:`insert_spans`, where a span whose values cannot be stored costs only itself.

    When the batch fails on a value, its strings are repaired (lone surrogates become
    U+FFFD) and it is tried again; what still fails is split in halves until only the
    spans that fail alone are left out. An error of the store itself (locked, full,
    damaged) is raised as it is.

    Returns:
        (rows added, [(span left out, its error)]).
    """
    records = list(records)
    try:
        return insert_spans(conn, records), []
    except Exception as error:
        if _is_store_error(error):
            raise
    memo: dict[int, Any] = {}
    repaired = [repaired_record(r, memo) for r in records]
    bad: list[tuple[SpanRecord, BaseException]] = []
    return _insert_halves(conn, repaired, bad), bad


def _insert_halves(conn: sqlite3.Connection, records: list[SpanRecord],
                   bad: list[tuple[SpanRecord, BaseException]]) -> int:
    try:
        return insert_spans(conn, records)
    except Exception as error:
        if _is_store_error(error):
            raise
        if len(records) == 1:
            bad.append((records[0], error))
            return 0
    half = len(records) // 2
    return _insert_halves(conn, records[:half], bad) + _insert_halves(conn, records[half:], bad)


def repaired_record(record: SpanRecord, memo: dict[int, Any] | None = None) -> SpanRecord:
    """A copy of ``record`` with every string in it repaired (lone surrogates become U+FFFD)."""
    from .._content import repair

    def fixed(value: Any) -> Any:
        if isinstance(value, str):
            return repair(value)
        if isinstance(value, (list, tuple)):
            return [fixed(v) for v in value]
        if isinstance(value, dict):
            return {fixed(k): fixed(v) for k, v in value.items()}
        return value

    memo = {} if memo is None else memo
    resource = memo.get(id(record.resource))
    if resource is None or resource[0] is not record.resource:
        resource = memo[id(record.resource)] = (record.resource, fixed(record.resource))
    return dataclasses.replace(
        record, trace_id=fixed(record.trace_id), span_id=fixed(record.span_id),
        parent_span_id=fixed(record.parent_span_id), name=fixed(record.name), kind=fixed(record.kind),
        span_kind=fixed(record.span_kind), status_code=fixed(record.status_code),
        status_message=fixed(record.status_message), attributes=fixed(record.attributes),
        events=fixed(record.events), resource=resource[1])


def search_text(attributes: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    """The text a root span adds to the search index, cut to 4 KiB of characters.

    Its input and output values; for a span without them (an OTel GenAI span), its chat
    messages in either convention.
    """
    parts = [attributes.get(semconv.INPUT_VALUE), attributes.get(semconv.OUTPUT_VALUE)]
    text = " ".join(str(p) for p in parts if p is not None)
    if not text:
        text = chat_text(attributes, events)
    return text[:_SEARCH_TEXT_CHARS]


_flags: dict[tuple[str, str], int] = {}
"""(trace id, span id) of spans written or to be written that have a descendant reporting
tokens or being a model call (``store.rollup`` flags).

Children end, and are exported, before their parents: when such a child is written, its
parent is marked, so the parent's own counts (a wrapper repeating them) are not added
again. Kept in this writer's memory (no query per span): the spans of one trace come to
one writer, the program's exporter or the collector.
"""
