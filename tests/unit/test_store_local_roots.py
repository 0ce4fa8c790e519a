"""A span whose parent lives in another process (a W3C trace context carried it) is its trace's root here."""

from __future__ import annotations

import dataclasses
import sqlite3

from dashboard_data import drop_version_7

from neatlogs import semconv, store
from neatlogs.store import backfill
from neatlogs_cli import pricing, reports
from neatlogs_cli.filters import parse_filters
from neatlogs_cli.store_open import open_for_reading
from neatlogs_cli.timeline import build_turns

NOW = 1_800_000_000 * 10**9


def _turn(n: int, question: str) -> list[store.SpanRecord]:
    trace, common = f"{n:032x}", {semconv.SESSION_ID: "backend"}
    top = store.SpanRecord(trace, f"{n:015x}1", "e" * 16, "handle", NOW + n, NOW + n + 10, kind="CHAIN",
                           attributes={**common, semconv.INPUT_VALUE: question}, parent_is_remote=True)
    call = store.SpanRecord(trace, f"{n:015x}2", top.span_id, "chat gpt-4o", NOW + n + 1, NOW + n + 9, kind="LLM",
                            attributes={**common, semconv.LLM_TOKEN_COUNT_TOTAL: 7})
    return [call, top]


def _summary(conn) -> tuple[int, int]:
    (found,) = store.list_sessions(conn)
    return found.trace_count, found.turn_count


def test_remote_parented_spans_count_as_roots_when_written_and_after_a_delete(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    store.insert_spans(conn, _turn(1, "first question") + _turn(2, "second question"))
    assert _summary(conn) == (2, 2)
    assert [s.session_id for s in store.list_sessions(conn, search="second")] == ["backend"]
    store.delete_trace(conn, f"{1:032x}")
    assert _summary(conn) == (1, 1)  # recounted from the rows, which no longer carry the flag


def _two_turns(tmp_path) -> sqlite3.Connection:
    conn = store.connect(str(tmp_path / "t.db"))
    store.insert_spans(conn, _turn(1, "first question") + _turn(2, "second question"))
    return conn


def _roots_in_every_view(conn: sqlite3.Connection) -> None:
    """Both remote-parented spans are roots to the session page, the turns, the traces lists and the stats."""
    assert all(s.parent_is_remote == (s.name == "handle") for s in store.iter_spans(conn))
    found = store.get_session_page(conn, "backend", turns=1)
    assert found is not None
    page, has_earlier = found
    assert ([t.trace_id for t in page.traces], has_earlier) == ([f"{2:032x}"], True)  # a window, not the whole
    whole = store.get_session(conn, "backend")
    assert whole is not None
    turns = build_turns(whole.traces)
    assert [(t.root.name, t.user_text) for t in turns] == [("handle", "first question"), ("handle", "second question")]
    assert [t.name for t in store.list_traces(conn)] == ["handle", "handle"]
    rows = reports.list_traces(pricing.install(conn), parse_filters({}, now_ns=NOW))
    assert [(r.name, r.latency_ms) for r in rows] == [("handle", 10 / 1e6), ("handle", 10 / 1e6)]
    assert store.stats(conn, ":memory:").trace_count == 2


def test_remote_parented_spans_are_roots_in_every_view_that_reads_them_back(tmp_path):
    _roots_in_every_view(_two_turns(tmp_path))


def test_a_version_5_store_marks_its_remote_parented_spans_when_read(tmp_path):
    path = str(tmp_path / "t.db")
    _two_turns(tmp_path).close()
    raw = sqlite3.connect(path, isolation_level=None)  # as version 5 left it: no flag, trace rows without a root
    drop_version_7(raw)
    raw.execute("DROP INDEX spans_local_roots")
    raw.execute("ALTER TABLE spans DROP COLUMN parent_remote")
    raw.execute("UPDATE traces SET name = NULL, latency_ns = NULL")
    raw.execute("PRAGMA user_version = 5")
    raw.close()
    writer = store.connect(path)  # a traced program's writer migrates; the reading side fills
    assert backfill.pending(writer) == ["roots", "labels"]
    writer.close()
    conn = open_for_reading(path)
    assert conn is not None and backfill.pending(conn) == []
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    _roots_in_every_view(conn)
    assert _summary(conn) == (2, 2)


def test_a_trace_crossing_sessions_is_named_by_the_root_of_the_session_it_is_listed_in(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    back = _turn(1, "question")  # the back end's spans end first, under its own conversation
    front = store.SpanRecord(back[0].trace_id, "e" * 16, None, "frontend", NOW, NOW + 20, kind="WORKFLOW",
                             attributes={semconv.SESSION_ID: "frontend"})
    store.insert_spans(conn, back)
    store.insert_spans(conn, [front])
    ((trace_id, session_id, name, latency),) = conn.execute(
        "SELECT trace_id, session_id, name, latency_ns FROM traces").fetchall()
    assert (trace_id, session_id, name, latency) == (front.trace_id, "backend", "handle", 10)
    assert {s.session_id: s.trace_count for s in store.list_sessions(conn)} == {"backend": 1, "frontend": 1}


def test_a_trace_rooted_in_two_processes_lists_and_counts_once(tmp_path):
    # A client's tool call and the traced server it called (mcp stdio under neatlogs run): one trace.
    conn = store.connect(str(tmp_path / "t.db"))
    trace, common = "c" * 32, {semconv.SESSION_ID: "run"}
    client = store.SpanRecord(trace, "1" * 16, None, "tools/call forecast", NOW, NOW + 10, kind="TOOL",
                              attributes=common)
    server = store.SpanRecord(trace, "2" * 16, "9" * 16, "tools/call forecast (server)", NOW + 2, NOW + 8,
                              kind="TOOL", attributes=common, parent_is_remote=True)
    store.insert_spans(conn, [server, client])
    assert [(t.trace_id, t.name) for t in store.list_traces(conn)] == [(trace, "tools/call forecast")]
    assert store.stats(conn, ":memory:").trace_count == 1
    assert [s.trace_count for s in store.list_sessions(conn)] == [1]
    # The next turn's two roots come in two batches, the server's first (it ends first, in its own process).
    later = [dataclasses.replace(span, trace_id="d" * 32) for span in (server, client)]
    store.insert_spans(conn, later[:1])
    store.insert_spans(conn, later[1:])
    assert [s.trace_count for s in store.list_sessions(conn)] == [2]
