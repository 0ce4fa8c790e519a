"""Each migration step of the local store, on real SQLite files: 0 -> 2, 1 -> 2, and 2 left alone."""

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
    assert _version(path) == store.SCHEMA_VERSION == 2
    assert {("table", "spans"), ("table", "sessions"), ("table", "span_text"),
            ("index", "spans_session"), ("index", "sessions_last")} <= _objects(path)
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
    assert _version(path) == 2
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
    assert _version(path) == 2
    with sqlite3.connect(path) as raw:
        assert list(raw.iterdump()) == before
    assert [s.session_id for s in store.list_sessions(again, search="hello")] == ["s"]
    assert store.insert_spans(again, [record]) == 0
