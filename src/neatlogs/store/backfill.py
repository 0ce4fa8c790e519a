"""Filling new tables from the spans stored before a migration, on the reading side, a chunk at a time.

A migration only creates tables and indexes and notes in ``backfill`` what its older spans
still need (the spans up to the rowid it found): it may run inside a traced program's exporter
at exit, which must not spend minutes reading a big store. The reading side (``neatlogs ui``,
``sessions``, ``show``) calls :func:`run` when it opens a store it can write; each chunk of
spans is its own transaction, so writers wait a moment at most, and a run cut short goes on
from where it stopped the next time. The jobs:

* ``rollups`` (version 4): the spans, in the order they were stored (as the writer met them),
  added to the rollup tables by :func:`neatlogs.store.rollup.rebuild`;
* ``ids`` (version 5): each root span's ids and name into the ``span_ids`` search index;
* ``roots`` (version 6, done first): ``parent_remote`` = 1 on each span whose parent is not in its
  session (the rows of a store from before are complete, so a missing parent is another
  process's), and a trace row still without a root gets that span's name and latency. Their
  session totals and search text are left as the writer of the time made them;
* ``labels`` (version 7): each session's distinct labels into ``session_labels``, from ``labels``
  (the sessions stored before the migration, up to the ``sessions`` rowid it found, a chunk of
  sessions at a time; it runs after ``rollups``, which fills ``labels`` and ``session_labels`` both).

Spans written after the migration were already counted by the writer. A trace whose spans
were being written across the upgrade may count a wrapper's tokens twice (its children's
marks were in the older writer's memory).
"""

from __future__ import annotations

import json
import sqlite3

from .. import semconv
from .records import SpanRecord
from .rollup import rebuild
from .schema import LOCAL_ROOT_SQL, write_transaction

__all__ = ["CHUNK", "ID_TEXT_SQL", "id_text", "indexed_ids", "pending", "run"]

CHUNK = 20_000
"""Spans read per transaction."""

ID_TEXT_SQL = (f"trace_id || ' ' || session_id || ' ' || CASE WHEN json_type(attributes, '$.\"{semconv.USER_ID}\"')"
               f" = 'text' THEN json_extract(attributes, '$.\"{semconv.USER_ID}\"') ELSE '' END || ' ' || name")
""":func:`id_text` of a stored root span, in SQL over its ``spans`` row."""


def id_text(trace_id: str, session_key: str, attributes: dict, name: str) -> str:
    """What a root span puts in the ``span_ids`` index: its trace id, session, user id (a string) and name."""
    user = attributes.get(semconv.USER_ID)
    return f"{trace_id} {session_key} {user if isinstance(user, str) else ''} {name}"


def pending(conn: sqlite3.Connection) -> list[str]:
    """The jobs not finished yet, in the order they run: ``roots``, ``rollups``, ``labels``, ``ids``.

    The others read roots; ``labels`` reads what ``rollups`` fills.
    """
    try:
        return [r[0] for r in conn.execute("SELECT job FROM backfill ORDER BY job DESC")]
    except sqlite3.OperationalError:  # no backfill table: a store not migrated yet, read-only
        return []


def indexed_ids(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """The rowids of roots still missing from ``span_ids`` (first, last), or None when none are."""
    row = conn.execute("SELECT done_rowid, last_rowid FROM backfill WHERE job = 'ids'").fetchone()
    return (row[0] + 1, row[1]) if row is not None else None


def _rollups_chunk(conn: sqlite3.Connection, after: int, last: int, flags: dict[tuple[str, str], int]) -> int:
    rows = conn.execute("SELECT rowid, trace_id, span_id, parent_span_id, name, kind, span_kind, start_time_ns,"
                        " end_time_ns, status_code, attributes, resource, session_id, parent_remote FROM spans"
                        " WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?", (after, last, CHUNK)).fetchall()
    spans: list[SpanRecord] = []
    sessions: dict[str, str] = {}
    resources: dict[str, dict] = {}  # the spans of one program share their resource: decoded once
    for (rowid, trace_id, span_id, parent, name, kind, span_kind, start, end, status, attributes, resource,
         session_id, remote) in rows:
        decoded = resources.get(resource)
        if decoded is None:
            decoded = resources[resource] = json.loads(resource)
        spans.append(SpanRecord(trace_id, span_id, parent, name, start, end, kind=kind, span_kind=span_kind,
                                status_code=status, attributes=json.loads(attributes), resource=decoded,
                                parent_is_remote=bool(remote)))
        sessions[trace_id] = session_id
        after = rowid
    rebuild(conn, spans, sessions, flags)
    return after if rows else last


def _ids_chunk(conn: sqlite3.Connection, after: int, last: int) -> int:
    upto = min(after + CHUNK * 4, last)  # roots only: a few of each chunk's spans
    conn.execute(f"INSERT INTO span_ids (rowid, text) SELECT rowid, {ID_TEXT_SQL} FROM spans"
                 f" WHERE {LOCAL_ROOT_SQL} AND rowid > ? AND rowid <= ?", (after, upto))
    return upto


def _roots_chunk(conn: sqlite3.Connection, after: int, last: int) -> int:
    upto = min(after + CHUNK, last)
    found = conn.execute(
        """SELECT rowid, trace_id, session_id, name, end_time_ns - start_time_ns FROM spans s
           WHERE rowid > ? AND rowid <= ? AND parent_span_id IS NOT NULL AND parent_remote = 0
             AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id
                             AND p.span_id = s.parent_span_id AND p.session_id = s.session_id)""",
        (after, upto)).fetchall()
    conn.executemany("UPDATE spans SET parent_remote = 1 WHERE rowid = ?", [(r[0],) for r in found])
    # As the writer's rollup does for a root: the trace's name and latency, the session's longest trace.
    conn.executemany("UPDATE traces SET name = ?, latency_ns = ? WHERE trace_id = ? AND session_id = ?"
                     " AND name IS NULL", [(name, latency, trace_id, sid) for _, trace_id, sid, name, latency in found])
    conn.executemany("UPDATE sessions SET max_latency_ns = MAX(max_latency_ns, ?) WHERE session_id = ?",
                     [(latency, sid) for _, _, sid, _, latency in found])
    return upto


def _labels_chunk(conn: sqlite3.Connection, after: int, last: int) -> int:
    upto = min(after + CHUNK // 10, last)  # sessions: each may have many labels rows (one per trace)
    conn.execute("INSERT OR IGNORE INTO session_labels SELECT DISTINCT l.key, l.value, l.session_id"
                 " FROM sessions s JOIN labels l ON l.session_id = s.session_id WHERE s.rowid > ? AND s.rowid <= ?",
                 (after, upto))
    return upto


def run(conn: sqlite3.Connection) -> int:
    """Do every pending job to its end; returns the chunks done (0: nothing was pending).

    ``conn`` is a writable connection from :func:`neatlogs.store.connect`.
    """
    chunks = 0
    flags: dict[tuple[str, str], int] = {}  # children's marks for their parents, across chunks
    for job in pending(conn):
        while True:
            with write_transaction(conn):
                row = conn.execute("SELECT done_rowid, last_rowid FROM backfill WHERE job = ?", (job,)).fetchone()
                if row is None:
                    break  # another process finished it
                done, last = row
                if done < last:
                    if job == "rollups":
                        done = _rollups_chunk(conn, done, last, flags)
                    elif job == "labels":
                        done = _labels_chunk(conn, done, last)
                    else:
                        done = _ids_chunk(conn, done, last) if job == "ids" else _roots_chunk(conn, done, last)
                if done >= last:
                    conn.execute("DELETE FROM backfill WHERE job = ?", (job,))
                else:
                    conn.execute("UPDATE backfill SET done_rowid = ? WHERE job = ?", (done, job))
                chunks += 1
            if done >= last:
                break
    return chunks
