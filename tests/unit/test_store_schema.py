"""Each migration step of the local store, on real SQLite files: 0 -> 3, 1 -> 3, 2 -> 3, and 3 left alone."""

from __future__ import annotations

import json
import sqlite3

from neatlogs import semconv, store
from neatlogs.store import schema


def _version(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def _objects(path: str) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return set(conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'span_text_%'"))


def test_an_empty_file_is_built_at_the_current_version(tmp_path):
    path = str(tmp_path / "empty.db")
    sqlite3.connect(path).close()  # a file at version 0
    assert _version(path) == 0
    store.connect(path).close()
    assert _version(path) == store.SCHEMA_VERSION == 8
    assert {("table", "spans"), ("table", "sessions"), ("table", "span_text"),
            ("index", "spans_session"), ("index", "sessions_last"), ("index", "spans_local_roots")} <= _objects(path)
    assert ("index", "spans_start") not in _objects(path)


def test_a_version_1_file_is_migrated_and_its_old_turns_are_searchable(tmp_path):
    path = str(tmp_path / "v1.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(schema._MIGRATIONS[0])  # the version 1 schema, by hand
    conn.execute("PRAGMA user_version = 1")
    attributes = {semconv.SESSION_ID: "old-session", semconv.INPUT_VALUE: "where is my parcel",
                  semconv.OUTPUT_VALUE: "it left the depot"}
    conn.execute(
        "INSERT INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ("a" * 32, "b" * 16, None, "turn", "AGENT", "INTERNAL", 1, 2, "OK", None, "old-session", None,
         json.dumps(attributes), "[]", "{}"),
    )
    conn.execute("INSERT INTO sessions VALUES ('old-session', NULL, 1, 2, 1, 1, 0, 0)")
    conn.close()

    migrated = store.connect(path)
    assert _version(path) == store.SCHEMA_VERSION
    assert ("index", "spans_start") not in _objects(path)
    assert [s.session_id for s in store.list_sessions(migrated, search="parcel")] == ["old-session"]
    assert [s.session_id for s in store.list_sessions(migrated, search="DEPOT")] == ["old-session"]
    assert store.list_sessions(migrated, search="nothing") == []
    (span,) = store.get_session(migrated, "old-session").traces[0].spans
    assert span.attributes == attributes


def test_connect_leaves_a_current_file_unchanged(tmp_path):
    path = str(tmp_path / "current.db")
    conn = store.connect(path)
    record = store.SpanRecord("c" * 32, "d" * 16, None, "turn", 1, 2, attributes={
        semconv.SESSION_ID: "s", semconv.INPUT_VALUE: "hello"})
    store.insert_spans(conn, [record])
    conn.close()
    with sqlite3.connect(path) as raw:
        before = list(raw.iterdump())
    again = store.connect(path)
    assert _version(path) == store.SCHEMA_VERSION
    with sqlite3.connect(path) as raw:
        assert list(raw.iterdump()) == before
    assert [s.session_id for s in store.list_sessions(again, search="hello")] == ["s"]
    assert store.insert_spans(again, [record]) == 0


def test_a_version_2_file_counts_turns_and_gains_its_no_session_traces(tmp_path):
    path = str(tmp_path / "v2.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(schema._MIGRATIONS[0])
    conn.executescript(schema._MIGRATIONS[1])
    conn.execute("PRAGMA user_version = 2")
    rows = [  # two turns of session "s", and a trace "e..." no session claims
        ("a" * 32, "1" * 16, None, "turn", "AGENT", "s", {semconv.SESSION_ID: "s"}),
        ("b" * 32, "2" * 16, None, "turn", "AGENT", "s", {semconv.SESSION_ID: "s"}),
        ("e" * 32, "3" * 16, None, "job", "CHAIN", None, {}),
        ("e" * 32, "4" * 16, "3" * 16, "chat", "LLM", None, {semconv.LLM_TOKEN_COUNT_TOTAL: 9}),
    ]
    for trace_id, span_id, parent, name, kind, session, attributes in rows:
        conn.execute("INSERT INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (trace_id, span_id, parent, name, kind, "INTERNAL", 1, 2, "OK", None, session, None,
                      json.dumps(attributes), "[]", "{}"))
    conn.execute("INSERT INTO sessions VALUES ('s', NULL, 1, 2, 2, 2, 0, 0)")
    conn.close()

    migrated = store.connect(path)
    assert _version(path) == store.SCHEMA_VERSION
    listed = {s.session_id: (s.trace_count, s.turn_count, s.token_count, s.no_session)
              for s in store.list_sessions(migrated)}
    assert listed == {"s": (2, 2, 0, False), "e" * 32: (1, 1, 9, True)}
    detail = store.get_session(migrated, "e" * 32)
    assert [span.name for span in detail.traces[0].spans] == ["job", "chat"]
    assert {t.trace_id: t.session_id for t in store.list_traces(migrated)} == {
        "a" * 32: "s", "b" * 32: "s", "e" * 32: None}
