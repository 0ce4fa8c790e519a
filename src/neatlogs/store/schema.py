"""The local store's schema: its SQL by version, the migrations between them, and ``connect``.

One file, ``$NEATLOGS_HOME/traces.db``, in WAL mode so several processes may write at
once while the dashboard reads. Spans are stored one row each, with their attributes,
events and resource as JSON; a ``sessions`` table keeps per-session totals up to date on
every insert so listing sessions never scans the spans. ``PRAGMA user_version`` holds the
schema version; :func:`connect` migrates older files forward.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Iterator

from .. import semconv
from .._files import private_file, private_folder

__all__ = ["LOCAL_ROOT_SQL", "SCHEMA_VERSION", "NewerSchemaError", "connect", "local_root_sql", "write_transaction"]

SCHEMA_VERSION = 8
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
# text already lives in spans.attributes; the index maps it to spans' rowids. New rows
# get their text from write.search_text, the same two values.
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

# Version 3: sessions count turns (``turn_count``: roots that start one, by
# ``store.turns.starts_turn``), and a trace with no session is its own session keyed by its
# trace id (``no_session`` = 1; its spans' ``session_id`` column holds that key, while their
# attributes stay as they were). Old files: each root counted as a turn, as the views did;
# their no-session traces are gathered into entries here. A partial index over root spans
# serves the newest-first traces list without scanning every span.
_TOKENS_SQL = f"COALESCE(json_extract(attributes, '$.\"{semconv.LLM_TOKEN_COUNT_TOTAL}\"'), 0)"
_SCHEMA_V3 = f"""
ALTER TABLE sessions ADD COLUMN turn_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN no_session INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET turn_count = trace_count;
INSERT OR IGNORE INTO sessions (session_id, service_name, first_start_ns, last_end_ns, span_count,
                                trace_count, error_count, token_count, turn_count, no_session)
    SELECT trace_id, MAX(service_name), MIN(start_time_ns), MAX(end_time_ns), COUNT(*),
           1, SUM(status_code = 'ERROR'), SUM(CASE WHEN kind = 'LLM' OR kind IS NULL THEN {_TOKENS_SQL} ELSE 0 END),
           1, 1
    FROM spans WHERE session_id IS NULL GROUP BY trace_id;
UPDATE spans SET session_id = trace_id WHERE session_id IS NULL;
CREATE INDEX IF NOT EXISTS spans_roots ON spans (start_time_ns) WHERE parent_span_id IS NULL
"""

# Version 4: rollups for the dashboard's filters, costs and charts (``store.rollup`` keeps
# them): ``traces`` (one row per trace: its root's name and latency, its totals, its user),
# ``usage`` and ``session_usage`` (per trace or session and (provider, model): calls and input, output, cache-read and
# cache-write tokens, for pricing on the reading side; ``own_cost`` rows carry the cost the
# spans reported themselves), ``labels`` (tags and metadata entries), and hourly figures
# (``trace_hours`` with a latency histogram, ``usage_hours``) for the Overview. Sessions
# gain their user, model calls and longest trace. Old files are backfilled from their spans
# in Python, by the same rules as the writer (``store.backfill``, on the reading side).
_SCHEMA_V4 = """
ALTER TABLE sessions ADD COLUMN user_id TEXT;
ALTER TABLE sessions ADD COLUMN call_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN max_latency_ns INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id, last_end_ns) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS traces (
    trace_id        TEXT PRIMARY KEY,
    session_id      TEXT NOT NULL,
    name            TEXT,            -- the root span's name (NULL until the root arrives)
    service_name    TEXT,
    start_ns        INTEGER NOT NULL,
    end_ns          INTEGER NOT NULL,
    latency_ns      INTEGER,         -- the root's duration
    span_count      INTEGER NOT NULL DEFAULT 0,
    error_count     INTEGER NOT NULL DEFAULT 0,
    token_count     INTEGER NOT NULL DEFAULT 0,
    call_count      INTEGER NOT NULL DEFAULT 0,
    user_id         TEXT,
    no_session      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns);
CREATE INDEX IF NOT EXISTS traces_session ON traces (session_id, start_ns);
CREATE INDEX IF NOT EXISTS traces_latency ON traces (latency_ns) WHERE latency_ns IS NOT NULL;
CREATE TABLE IF NOT EXISTS usage (
    trace_id            TEXT NOT NULL,
    provider            TEXT NOT NULL,
    model               TEXT NOT NULL,
    own_cost            INTEGER NOT NULL,  -- 1: the calls reported their cost (in ``cost``)
    session_id          TEXT NOT NULL,
    calls               INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,  -- cache reads and writes included
    output_tokens       INTEGER NOT NULL,
    cache_read_tokens   INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    cost                REAL NOT NULL,
    PRIMARY KEY (trace_id, provider, model, own_cost)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_session ON usage (session_id, model, provider);
CREATE TABLE IF NOT EXISTS session_usage (
    session_id          TEXT NOT NULL,     -- usage summed per session: its cost and the sort by cost
    provider            TEXT NOT NULL,
    model               TEXT NOT NULL,
    own_cost            INTEGER NOT NULL,
    calls               INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cache_read_tokens   INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    cost                REAL NOT NULL,
    PRIMARY KEY (session_id, provider, model, own_cost)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS labels (
    trace_id    TEXT NOT NULL,
    key         TEXT NOT NULL,   -- "tag", or "meta." + a metadata key
    value       TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    PRIMARY KEY (trace_id, key, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS labels_session ON labels (session_id, key, value);
CREATE TABLE IF NOT EXISTS trace_hours (
    hour            INTEGER NOT NULL,  -- start time // 3600 s, UTC
    service_name    TEXT NOT NULL,
    latency_bucket  INTEGER NOT NULL,  -- store.rollup.latency_bucket of a root, -1 for other spans
    traces          INTEGER NOT NULL,
    errors          INTEGER NOT NULL,
    tokens          INTEGER NOT NULL,
    PRIMARY KEY (hour, service_name, latency_bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_hours (
    hour                INTEGER NOT NULL,
    service_name        TEXT NOT NULL,
    provider            TEXT NOT NULL,
    model               TEXT NOT NULL,
    own_cost            INTEGER NOT NULL,
    calls               INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cache_read_tokens   INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    cost                REAL NOT NULL,
    PRIMARY KEY (hour, service_name, provider, model, own_cost)
) WITHOUT ROWID
"""


# Version 5: a cost cache the reading side keeps (``neatlogs_cli.costs``: the writer cannot
# price), so the lists filter and sort by cost through an index. Each session and trace row
# has its ``cost`` (USD; NULL: nothing priced) and ``unpriced`` calls, and ``priced`` = 0 when
# its usage changed since (the writer clears it on every row it touches, and new rows start
# at 0); ``cost_cache`` names the price table the cached costs were priced with.
# ``span_ids``: a trigram index of each root span's trace id, session, user id and name
# (``write.id_text``), so a part of an id is found without scanning (short texts: cheap to
# write). ``backfill``: what the reading side still has to fill from spans stored before a
# migration (``store.backfill``): a traced program's writer never spends its exit on that.
_SCHEMA_V5 = """
ALTER TABLE sessions ADD COLUMN cost REAL;
ALTER TABLE sessions ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN priced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE traces ADD COLUMN cost REAL;
ALTER TABLE traces ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE traces ADD COLUMN priced INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS sessions_cost ON sessions (cost, last_end_ns);
CREATE INDEX IF NOT EXISTS sessions_to_price ON sessions (session_id) WHERE priced = 0;
CREATE INDEX IF NOT EXISTS traces_cost ON traces (cost, start_ns) WHERE latency_ns IS NOT NULL;
CREATE INDEX IF NOT EXISTS traces_to_price ON traces (trace_id) WHERE priced = 0;
CREATE TABLE IF NOT EXISTS cost_cache (
    prices  TEXT NOT NULL            -- the price table's version the cached costs were priced with
);
CREATE VIRTUAL TABLE IF NOT EXISTS span_ids USING fts5(text, content='', tokenize='trigram');
CREATE TABLE IF NOT EXISTS backfill (
    job          TEXT PRIMARY KEY,   -- "rollups" (version 4's tables) or "ids" (span_ids)
    last_rowid   INTEGER NOT NULL,   -- the spans stored before the migration: rowid up to this
    done_rowid   INTEGER NOT NULL DEFAULT 0  -- the spans up to this rowid are done
)
"""


def local_root_sql(alias: str = "") -> str:
    """The condition a ``spans`` row (of ``alias``, e.g. ``"r"``) meets when it is a root of its process.

    No parent, or a parent in another process: :attr:`SpanRecord.is_local_root` in SQL. Every
    query that decides roots uses this, so the store's views count the same roots.
    """
    prefix = f"{alias}." if alias else ""
    return f"({prefix}parent_span_id IS NULL OR {prefix}parent_remote = 1)"


LOCAL_ROOT_SQL = local_root_sql()
""":func:`local_root_sql` without an alias (the partial index ``spans_local_roots`` has the same condition)."""


# Version 6: ``spans.parent_remote`` = 1 for a span whose parent lives in another process (a W3C
# trace context carried it; OTLP's span flags say so): that span is a root of its process, so
# everything that reads roots back (the traces rollup, the session page, the turns, ``show``,
# the traces list, the backfills) takes it as one, by :data:`LOCAL_ROOT_SQL`. The writer knows
# the flag as a span arrives; a missing parent says nothing then (children end first, so it may
# still come). Spans stored before: the ``roots`` backfill marks those whose parent is not in
# their session (those older stores' rows are complete) and gives their traces rows the root's
# name and latency. A partial index serves the newest-first roots, as ``spans_roots`` did.
_SCHEMA_V6 = f"""
ALTER TABLE spans ADD COLUMN parent_remote INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS spans_roots;
CREATE INDEX IF NOT EXISTS spans_local_roots ON spans (start_time_ns) WHERE {LOCAL_ROOT_SQL}
"""

# Version 7: what keeps the dashboard's lists flat from a small store to a big one (issue 17,
# ``bench/dashboard_lists.py``). Each index lets a list walk the sessions in the order it shows
# them, or read only the rows a filter names, and stop at the page's size:
# ``sessions_tokens``: the sort by tokens (it scanned and sorted every session);
# ``sessions_window``: the from/to filter reads its sessions' start times from the index, not each row
#   (``last_end_ns`` >= from walks the newer ones; their ``first_start_ns`` <= to is tested in it);
# ``sessions_users``: the Users page's figures per user, read from the index alone, in user order
#   (the GROUP BY reads no session row and sorts nothing);
# ``session_labels``: each session's distinct tags and metadata entries (``labels`` has one row per
#   trace), keyed by label: a tag or meta filter reads only the sessions that have it, so a rare
#   label, or one that the other filters reject in most sessions, never walks every session. A
#   trigger keeps it from the rows ``labels`` gains (a row ignored as already there fires nothing,
#   so both tables name the same session for a trace crossing sessions, and the writer's cost is
#   one lookup per new trace label, in SQLite); deletes gather it again (``rollup.forget``);
#   sessions stored before are filled by the ``labels`` backfill, a chunk of sessions at a time.
_SCHEMA_V7 = """
CREATE INDEX IF NOT EXISTS sessions_tokens ON sessions (token_count, last_end_ns);
CREATE INDEX IF NOT EXISTS sessions_window ON sessions (last_end_ns, first_start_ns, session_id);
CREATE INDEX IF NOT EXISTS sessions_users ON sessions (user_id, last_end_ns, first_start_ns, turn_count, token_count,
                                                      cost, unpriced) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS session_labels (
    key         TEXT NOT NULL,   -- as in labels: "tag", or "meta." + a metadata key
    value       TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    PRIMARY KEY (key, value, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_labels_session ON session_labels (session_id);
CREATE TRIGGER IF NOT EXISTS labels_sessions AFTER INSERT ON labels BEGIN
    INSERT OR IGNORE INTO session_labels VALUES (new.key, new.value, new.session_id);
END
"""


class NewerSchemaError(Exception):
    """The file was written by a newer neatlogs (a schema above :data:`SCHEMA_VERSION`): never write to it."""

    def __init__(self, path: str, version: int) -> None:
        super().__init__(f"{path} was written by a newer neatlogs (store schema {version}; this neatlogs writes "
                         f"schema {SCHEMA_VERSION}): upgrade neatlogs to write to it")
        self.path = path
        self.version = version


_SCHEMA_V8 = """
-- 1 when the trace's root begins a turn (store.turns.starts_turn), 0 when it continues one (a
-- tool loop's next call), -1 for a step (an embedding, a retrieval: it may belong to the next
-- turn, so it lengthens none); NULL for traces stored before: each counts as its own turn.
-- The per-turn latency figures (p50/p95 per turn) group a session's traces by it.
ALTER TABLE traces ADD COLUMN turn_start INTEGER;
"""

# _MIGRATIONS[n] takes a file at version n to n + 1.
_MIGRATIONS: dict[int, str] = {
    0: _SCHEMA_V1, 1: _SCHEMA_V2, 2: _SCHEMA_V3, 3: _SCHEMA_V4, 4: _SCHEMA_V5, 5: _SCHEMA_V6, 6: _SCHEMA_V7,
    7: _SCHEMA_V8,
}


def _exec_script(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` (a trigger's body, with its own semicolons, is one statement)."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                conn.execute(statement)
            statement = ""
    if statement.strip(" \n;"):
        conn.execute(statement)


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back when the block raises (the error goes on).

    On a full disk SQLite has already rolled back by itself: a second ``ROLLBACK`` would
    raise and hide the real error, so it is sent only while a transaction is still open.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def connect(path: str, *, readonly: bool = False, timeout: float = 10.0) -> sqlite3.Connection:
    """Open (creating and migrating when needed) the store at ``path`` in WAL mode.

    Args:
        path: the SQLite file; its folder is created when missing (not with ``readonly``).
        readonly: open an existing file for reading only, without migrating it.
        timeout: the longest any statement waits for another process's write lock.

    Returns:
        A connection in autocommit mode whose rows are ``sqlite3.Row``, usable from any thread.

    Raises:
        NewerSchemaError: (not with ``readonly``) a newer neatlogs wrote the file.
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.row_factory = sqlite3.Row
        return conn
    # Prompts and replies are private: a new folder is 0700 and a new file 0600 (SQLite gives
    # its -wal and -shm files the database file's mode).
    private_file(os.path.join(private_folder(os.path.dirname(os.path.abspath(path))), os.path.basename(path)))
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, path: str) -> None:
    """Run every step from the file's version to :data:`SCHEMA_VERSION` in one transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(path, version)
    if version == SCHEMA_VERSION:
        return
    with write_transaction(conn):
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(path, version)
        # Each job walks the rows of one table that were there before: spans, or sessions (labels).
        jobs = [(job, table) for job, before, table in (("rollups", 4, "spans"), ("ids", 5, "spans"),
                                                       ("roots", 6, "spans"), ("labels", 7, "sessions"))
                if version < before]
        while version < SCHEMA_VERSION:
            _exec_script(conn, _MIGRATIONS[version])
            version += 1
        # What older spans need is filled later, by the reading side (store.backfill).
        for job, table in jobs:
            conn.execute("INSERT OR IGNORE INTO backfill (job, last_rowid)"
                         f" SELECT ?, m FROM (SELECT MAX(rowid) AS m FROM {table}) WHERE m IS NOT NULL", (job,))
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
