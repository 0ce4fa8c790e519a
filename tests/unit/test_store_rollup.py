"""The store's rollups: a model call counted once however deeply wrapped, kept by the writer, backfilled by readers."""

from __future__ import annotations

import json
import sqlite3

from dashboard_data import ALPHA_CALL_COST, records

from neatlogs import semconv, store
from neatlogs.store import backfill, schema
from neatlogs_cli import pricing, reports
from neatlogs_cli.filters import parse_filters
from neatlogs_cli.store_open import open_for_reading

NOW = 1_800_000_000 * 10**9
ROLLUPS = ("traces", "usage", "labels", "session_labels", "trace_hours", "usage_hours")


def _dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    found = {table: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {table}")) for table in ROLLUPS}
    found["sessions"] = sorted(tuple(r) for r in conn.execute(
        "SELECT session_id, user_id, call_count, max_latency_ns, token_count FROM sessions"))
    return found


def test_nested_llm_spans_count_as_one_call(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    store.insert_spans(conn, records(NOW))
    usage = conn.execute("SELECT provider, model, SUM(calls), SUM(input_tokens), SUM(output_tokens), "
                         "SUM(cache_read_tokens), SUM(cache_write_tokens) FROM usage WHERE session_id = ? "
                         "GROUP BY provider, model", ("alpha-session",)).fetchall()
    # two turns, each AGENT > LLM wrapper (repeating the tokens) > LLM client call: two calls
    assert [tuple(r) for r in usage] == [("openai", "gpt-4o", 2, 2000, 400, 800, 0)]
    session = conn.execute("SELECT call_count, token_count, user_id FROM sessions WHERE session_id = ?",
                           ("alpha-session",)).fetchone()
    assert tuple(session) == (2, 2400, "alice")
    labels = conn.execute("SELECT DISTINCT key, value FROM labels WHERE session_id = ?", ("alpha-session",))
    assert sorted(tuple(r) for r in labels) == [("meta.plan", "pro"), ("tag", "beta-tester"), ("tag", "vip")]


def test_spans_in_separate_batches_still_count_once(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    for span in records(NOW):  # one span per export, children first
        store.insert_spans(conn, [span])
    assert conn.execute("SELECT SUM(calls) FROM usage WHERE session_id = 'alpha-session'").fetchone()[0] == 2
    assert conn.execute("SELECT SUM(token_count) FROM traces WHERE session_id = 'alpha-session'").fetchone()[0] == 2400


def test_the_sessions_cost_sums_its_calls(tmp_path):
    conn = pricing.install(store.connect(str(tmp_path / "t.db")))
    store.insert_spans(conn, records(NOW))
    totals = reports.session_totals(conn, "alpha-session")
    assert abs(totals.cost - 2 * ALPHA_CALL_COST) < 1e-12
    gamma = reports.session_totals(conn, "gamma-session")
    assert (gamma.cost, gamma.unpriced_calls) == (0.5, 1)  # the own cost, and one call with no price


def _version_3_file(path: str, spans: list[store.SpanRecord]) -> None:
    """A file as version 3 wrote it: the spans and session totals, no rollups."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in (0, 1, 2):
        for statement in schema._MIGRATIONS[step].split(";"):
            if statement.strip():
                conn.execute(statement)
    for r in spans:
        conn.execute("INSERT INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (r.trace_id, r.span_id, r.parent_span_id, r.name, r.kind, r.span_kind, r.start_time_ns,
                      r.end_time_ns, r.status_code, r.status_message, r.session_id or r.trace_id, r.service_name,
                      json.dumps(r.attributes), "[]", json.dumps(r.resource)))
    conn.execute("""INSERT INTO sessions (session_id, service_name, first_start_ns, last_end_ns, span_count,
                                          trace_count, error_count, token_count, turn_count)
                    SELECT session_id, MAX(service_name), MIN(start_time_ns), MAX(end_time_ns), COUNT(*),
                           SUM(parent_span_id IS NULL), SUM(status_code = 'ERROR'), 0, SUM(parent_span_id IS NULL)
                    FROM spans GROUP BY session_id""")
    conn.execute("PRAGMA user_version = 3")
    conn.close()


def test_the_migration_backfills_the_rollups_as_the_writer_keeps_them(tmp_path):
    spans = records(NOW)
    fresh = store.connect(str(tmp_path / "fresh.db"))
    store.insert_spans(fresh, spans)
    old = str(tmp_path / "v3.db")
    _version_3_file(old, list(reversed(spans)))  # parents stored first: the backfill orders them itself
    writer = store.connect(old)  # a traced program's writer migrates, and leaves the filling to readers
    assert writer.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert _dump(writer)["traces"] == []
    assert backfill.pending(writer) == ["roots", "rollups", "labels", "ids"]
    writer.close()
    migrated = open_for_reading(old)
    assert migrated is not None and backfill.pending(migrated) == []
    expected, got = _dump(fresh), _dump(migrated)
    for table in ROLLUPS:
        assert got[table] == expected[table], table
    # the sessions gain their user, calls and longest trace (their tokens were version 3's own)
    assert [r[:4] for r in got["sessions"]] == [r[:4] for r in expected["sessions"]]


def test_deleting_a_trace_takes_it_out_of_the_rollups(tmp_path):
    conn = pricing.install(store.connect(str(tmp_path / "t.db")))
    store.insert_spans(conn, records(NOW))
    before = reports.overview(conn, parse_filters({"range": "7d"}, now_ns=NOW), "day", now_ns=NOW)
    store.delete_trace(conn, f"{1:032x}")  # alpha's first turn
    totals = reports.session_totals(conn, "alpha-session")
    assert (totals.call_count, totals.summary.trace_count) == (1, 1)
    assert abs(totals.cost - ALPHA_CALL_COST) < 1e-12
    after = reports.overview(conn, parse_filters({"range": "7d"}, now_ns=NOW), "day", now_ns=NOW)
    assert sum(after.series["traces"]["all"]) == sum(before.series["traces"]["all"]) - 1
    assert abs(sum(before.series["cost"]["all"]) - sum(after.series["cost"]["all"]) - ALPHA_CALL_COST) < 1e-12
    store.delete_session(conn, "alpha-session")
    assert conn.execute("SELECT COUNT(*) FROM usage WHERE session_id = 'alpha-session'").fetchone()[0] == 0
    assert reports.list_sessions(conn, parse_filters({"user": "alice"})) == []


def test_a_span_with_cost_keys_only_in_gen_ai_is_taken_too(tmp_path):
    conn = pricing.install(store.connect(str(tmp_path / "t.db")))
    span = store.SpanRecord("f" * 32, "1" * 16, None, "chat", NOW, NOW + 10, kind="LLM", attributes={
        semconv.SESSION_ID: "s", semconv.GEN_AI_REQUEST_MODEL: "mystery", semconv.GEN_AI_USAGE_INPUT_TOKENS: 5,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 5, semconv.GEN_AI_USAGE_COST: 0.25})
    store.insert_spans(conn, [span])
    totals = reports.session_totals(conn, "s")
    assert (totals.cost, totals.unpriced_calls) == (0.25, 0)
