"""Both exporters on the wire: OTLP/HTTP protobuf+gzip with x-api-key, and the SQLite store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import neatlogs
from neatlogs import store, tracing


def test_otlp_export_is_gzipped_protobuf_to_v1_traces_with_the_api_key(otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint, api_key="sk-secret-123", workflow_name="wire")
    with neatlogs.trace("hello", kind="AGENT") as handle:
        handle.set_input({"deep": {"nested": [1, 2, {"x": None}]}})
    assert neatlogs.flush()
    spans = otlp_receiver.wait_for(1)
    request = otlp_receiver.raw[0]
    assert request["path"] == "/v1/traces"
    assert request["headers"]["x-api-key"] == "sk-secret-123"
    assert request["headers"]["content-encoding"] == "gzip"
    assert request["headers"]["content-type"] == "application/x-protobuf"
    span = spans[0]
    assert span["resource"]["service.name"] == "wire"
    assert span["attributes"]["openinference.span.kind"] == "AGENT"
    assert span["attributes"]["input.value"] == '{"deep": {"nested": [1, 2, {"x": null}]}}'
    assert span["status_code"] == 1  # OK



def test_the_otlp_headers_variable_adds_headers_and_the_neatlogs_one_wins(otlp_receiver, monkeypatch):
    # Langfuse's OTLP endpoint takes Basic auth; OTEL_EXPORTER_OTLP_HEADERS is how every OTLP exporter gets it.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Basic%20cGs6c2s=,x-team = support")
    neatlogs.init(endpoint=otlp_receiver.endpoint, workflow_name="wire")
    with neatlogs.trace("hello"):
        pass
    assert neatlogs.flush()
    otlp_receiver.wait_for(1)
    headers = otlp_receiver.raw[0]["headers"]
    assert headers["authorization"] == "Basic cGs6c2s=" and headers["x-team"] == "support"
    assert headers["content-encoding"] == "gzip"
    monkeypatch.setenv("NEATLOGS_HEADERS", "x-team=billing")
    neatlogs.init(endpoint=otlp_receiver.endpoint)  # a new destination: a new exporter with the new headers
    with neatlogs.trace("again"):
        pass
    assert neatlogs.flush()
    otlp_receiver.wait_for(2)
    assert otlp_receiver.raw[-1]["headers"]["x-team"] == "billing"
    assert "authorization" not in otlp_receiver.raw[-1]["headers"]


def test_endpoint_already_ending_in_v1_traces_is_used_as_is(otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint + "/v1/traces/")
    with neatlogs.trace("x"):
        pass
    neatlogs.flush()
    otlp_receiver.wait_for(1)
    assert otlp_receiver.raw[0]["path"] == "/v1/traces"


def test_api_key_never_appears_in_spans(otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint, api_key="sk-never-in-a-span")
    with neatlogs.trace("x"):
        pass
    neatlogs.flush()
    otlp_receiver.wait_for(1)
    import gzip

    body = gzip.decompress(otlp_receiver.raw[0]["body"])
    assert b"sk-never-in-a-span" not in body


def test_local_store_schema(tmp_path):
    neatlogs.init(workflow_name="local", auto_session=True)
    with neatlogs.trace("root", kind="AGENT"):
        with neatlogs.trace("child", kind="LLM"):
            pass
    neatlogs.flush()
    path = tracing.settings().store_path
    assert path == str(tmp_path / "neatlogs-home" / "traces.db")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    columns = {r[1] for r in conn.execute("PRAGMA table_info(spans)")}
    assert {"trace_id", "span_id", "parent_span_id", "name", "kind", "start_time_ns", "end_time_ns",
            "status_code", "session_id", "attributes", "resource"} <= columns
    indexed = {r[2] for name in ("spans_session", "spans_start")
               for r in conn.execute(f"PRAGMA index_info({name})")}
    assert {"session_id", "start_time_ns"} <= indexed
    rows = conn.execute("SELECT name, parent_span_id, session_id, service_name FROM spans ORDER BY start_time_ns").fetchall()
    root, child = rows
    assert root[1] is None and child[1] is not None
    assert root[2] == child[2] == neatlogs.current_session_id()
    assert root[3] == "local"
    summary = store.list_sessions(store.connect(path))[0]
    assert summary.session_id == neatlogs.current_session_id()
    assert summary.span_count == 2 and summary.trace_count == 1


def test_several_processes_write_the_store_at_once(tmp_path):
    code = textwrap.dedent(
        """
        import sys, neatlogs
        neatlogs.init(session_id=sys.argv[1])
        for i in range(300):
            with neatlogs.trace(f"span-{i}"):
                pass
            if i % 50 == 0:
                neatlogs.flush()
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEATLOGS_")}
    env["NEATLOGS_HOME"] = str(tmp_path)
    procs = [subprocess.Popen([sys.executable, "-c", code, f"proc-{n}"], env=env) for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    conn = store.connect(str(tmp_path / "traces.db"))
    counts = dict(conn.execute("SELECT session_id, COUNT(*) FROM spans GROUP BY session_id").fetchall())
    assert counts == {f"proc-{n}": 300 for n in range(4)}
    totals = {s.session_id: s.span_count for s in store.list_sessions(conn)}
    assert totals == counts


def test_a_retried_batch_is_not_counted_twice(tmp_path):
    conn = store.connect(str(tmp_path / "t.db"))
    record = store.SpanRecord("a" * 32, "b" * 16, None, "s", 1, 2, attributes={"session.id": "s1"})
    assert store.insert_spans(conn, [record]) == 1
    assert store.insert_spans(conn, [record]) == 0
    assert store.list_sessions(conn)[0].span_count == 1
