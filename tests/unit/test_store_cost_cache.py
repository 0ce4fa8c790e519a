"""Schema 5: the cost cache kept by the reading side, the ids search index, and a version 4 file migrated to them."""

from __future__ import annotations

import os
import sqlite3

from dashboard_data import ALPHA_CALL_COST, BETA_COST, GAMMA_OWN_COST, drop_version_7, records

from neatlogs import semconv, store
from neatlogs.store import backfill
from neatlogs_cli import costs, pricing, reports
from neatlogs_cli.filters import parse_filters
from neatlogs_cli.store_open import open_for_reading

NOW = 1_800_000_000 * 10**9
_S = 10**9


def _sessions(conn: sqlite3.Connection, **params: str) -> list[tuple[str, float | None]]:
    return [(row.summary.session_id, row.cost) for row in reports.list_sessions(conn, parse_filters(params, now_ns=NOW))]


def _traces(conn: sqlite3.Connection, **params: str) -> list[str]:
    return [row.trace_id for row in reports.list_traces(conn, parse_filters(params, now_ns=NOW))]


def _version_4_file(path: str) -> None:
    """A file as version 4 left it: the spans and their rollups, without version 5's, 6's and 7's columns and tables."""
    conn = store.connect(path)
    store.insert_spans(conn, records(NOW))
    conn.close()
    raw = sqlite3.connect(path, isolation_level=None)
    drop_version_7(raw)
    for index in ("sessions_cost", "sessions_to_price", "traces_cost", "traces_to_price"):
        raw.execute(f"DROP INDEX {index}")
    for table in ("cost_cache", "span_ids", "backfill"):
        raw.execute(f"DROP TABLE {table}")
    for table in ("sessions", "traces"):
        for column in ("cost", "unpriced", "priced"):
            raw.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    raw.execute("DROP INDEX spans_local_roots")
    raw.execute("ALTER TABLE spans DROP COLUMN parent_remote")
    raw.execute("PRAGMA user_version = 4")
    raw.close()


def test_a_version_4_file_is_priced_and_searchable_by_part_of_an_id(tmp_path):
    path = str(tmp_path / "v4.db")
    _version_4_file(path)
    conn = open_for_reading(path)
    assert conn is not None
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION == 8
    assert backfill.pending(conn) == []
    pricing.install(conn)
    assert _sessions(conn, sort="-cost") == [("gamma-session", GAMMA_OWN_COST), ("beta-session", BETA_COST),
                                             ("alpha-session", 2 * ALPHA_CALL_COST)]
    assert conn.execute("SELECT COUNT(*) FROM sessions WHERE priced = 0").fetchone()[0] == 0
    assert [s for s, _ in _sessions(conn, q="PHA-SESS")] == ["alpha-session"]  # the old roots were indexed
    assert _traces(conn, q=f"{3:032x}"[-6:]) == [f"{3:032x}"]


def test_the_writer_migrating_a_version_4_file_leaves_the_filling_to_readers(tmp_path):
    path = str(tmp_path / "v4.db")
    _version_4_file(path)
    writer = store.connect(path)  # as a traced program's exporter opens it
    assert backfill.pending(writer) == ["roots", "labels", "ids"]
    assert writer.execute("SELECT COUNT(*) FROM span_ids WHERE span_ids MATCH '\"alpha\"'").fetchone()[0] == 0
    writer.close()
    reader = open_for_reading(path)
    assert reader is not None and backfill.pending(reader) == []
    assert reader.execute("SELECT COUNT(*) FROM span_ids WHERE span_ids MATCH '\"alpha\"'").fetchone()[0] == 2


def test_the_cache_follows_what_the_writer_adds(tmp_path):
    conn = pricing.install(store.connect(str(tmp_path / "t.db")))
    store.insert_spans(conn, records(NOW))
    assert [s for s, _ in _sessions(conn, min_cost="0.0081")] == ["beta-session", "gamma-session"]
    assert costs.refresh(conn)
    more = store.SpanRecord("e" * 32, "1" * 16, None, "chat", NOW - 60 * _S, NOW - 59 * _S, kind="LLM", attributes={
        semconv.SESSION_ID: "alpha-session", semconv.LLM_MODEL_NAME: "mystery", semconv.LLM_COST_TOTAL: 2.0,
        semconv.LLM_TOKEN_COUNT_PROMPT: 5, semconv.LLM_TOKEN_COUNT_COMPLETION: 5, semconv.LLM_TOKEN_COUNT_TOTAL: 10})
    store.insert_spans(conn, [more])
    assert conn.execute("SELECT priced FROM sessions WHERE session_id = 'alpha-session'").fetchone()[0] == 0
    assert _sessions(conn, sort="-cost")[0] == ("alpha-session", 2 * ALPHA_CALL_COST + 2.0)
    assert _traces(conn, min_cost="1") == ["e" * 32]


def test_another_price_table_reprices_every_row(tmp_path):
    conn = pricing.install(store.connect(str(tmp_path / "t.db")))
    store.insert_spans(conn, records(NOW))
    assert costs.refresh(conn)
    conn.execute("UPDATE sessions SET cost = 99 WHERE session_id = 'alpha-session'")  # priced by other prices
    conn.execute("UPDATE cost_cache SET prices = 'genai-prices 0.0.1; rules 0'")
    assert _sessions(conn, sort="-cost")[-1] == ("alpha-session", 2 * ALPHA_CALL_COST)
    assert conn.execute("SELECT prices FROM cost_cache").fetchone()[0] == costs.prices_version()


def test_a_reader_that_cannot_write_prices_in_the_query(tmp_path):
    path = str(tmp_path / "t.db")
    writer = store.connect(path)
    store.insert_spans(writer, records(NOW))  # nothing priced yet
    writer.close()
    os.chmod(path, 0o400)
    try:
        conn = open_for_reading(path)
        assert conn is not None
        pricing.install(conn)
        assert not costs.refresh(conn)
        assert [s for s, _ in _sessions(conn, min_cost="0.0081", sort="-cost")] == ["gamma-session", "beta-session"]
        assert reports.list_users(conn, parse_filters({}))[0].cost == 2 * ALPHA_CALL_COST
    finally:
        os.chmod(path, 0o600)


def test_a_few_costly_rows_are_found_through_the_index_and_many_in_list_order(tmp_path):
    conn = pricing.install(store.connect(str(tmp_path / "t.db")))
    store.insert_spans(conn, records(NOW))
    assert costs.refresh(conn)
    assert costs.few_costly(conn, "sessions", 0.0081) and not costs.few_costly(conn, "sessions", 0)
    assert [s for s, _ in _sessions(conn, min_cost="0.0081")] == ["beta-session", "gamma-session"]
    assert [s for s, _ in _sessions(conn, min_cost="0.0081", sort="cost")] == ["beta-session", "gamma-session"]


def test_a_deleted_root_leaves_the_ids_index(tmp_path):
    path = str(tmp_path / "v4.db")
    _version_4_file(path)
    conn = open_for_reading(path)
    assert conn is not None
    conn.close()
    conn = pricing.install(store.connect(path))
    store.delete_session(conn, "beta-session")  # a root the backfill indexed
    assert conn.execute("SELECT COUNT(*) FROM span_ids WHERE span_ids MATCH '\"beta-sess\"'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM span_ids WHERE span_ids MATCH '\"alpha-sess\"'").fetchone()[0] == 2
