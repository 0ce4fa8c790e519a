"""One kind spelling in the store: both writers (the SDK's SQLite exporter, the collector) upper-case it."""

from __future__ import annotations

import pytest
from http_client import http
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from otlp_bodies import json_body, protobuf_body, turn_spans

from neatlogs import semconv, store
from neatlogs.export.sqlite import SqliteSpanExporter


def _lower_case_turn(session_id: str) -> list[dict]:
    spans = turn_spans(session_id, 0, "hi", "hello", tokens=30)
    for span in spans:
        span["attributes"][semconv.OPENINFERENCE_SPAN_KIND] = span["attributes"][semconv.OPENINFERENCE_SPAN_KIND].lower()
    return spans


def test_the_sqlite_exporter_stores_a_lower_case_kind_upper_case(tmp_path):
    path = str(tmp_path / "traces.db")
    exporter = SqliteSpanExporter(path)
    provider = TracerProvider()  # our own provider: the global one is left alone
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("turn", attributes={semconv.SESSION_ID: "s", semconv.OPENINFERENCE_SPAN_KIND: "agent"}):
        with tracer.start_as_current_span("chat", attributes={semconv.OPENINFERENCE_SPAN_KIND: "llm",
                                                              semconv.SESSION_ID: "s",
                                                              semconv.LLM_TOKEN_COUNT_TOTAL: 7}):
            pass
    provider.shutdown()
    conn = store.connect(path)
    assert [(s.name, s.kind) for s in store.iter_spans(conn)] == [("turn", "AGENT"), ("chat", "LLM")]
    assert store.get_session_summary(conn, "s").token_count == 7  # counted as an LLM span's


@pytest.mark.parametrize("encode", [protobuf_body, json_body], ids=["protobuf", "json"])
def test_the_collector_stores_a_lower_case_kind_upper_case(server, db_path, encode):
    reply = http("POST", server.url + "/v1/traces", encode(_lower_case_turn("lower")),
                 {"content-type": "application/json" if encode is json_body else "application/x-protobuf"})
    assert reply.status == 200, reply.text
    session = http("GET", server.url + "/api/sessions/lower").json()
    assert [s["kind"] for s in session["traces"][0]["spans"]] == ["AGENT", "LLM", "LLM"]
    assert session["token_count"] == 30
    assert [s.kind for s in store.iter_spans(store.connect(db_path))] == ["AGENT", "LLM", "LLM"]


def test_span_kind_of():
    assert store.span_kind_of({semconv.OPENINFERENCE_SPAN_KIND: "llm"}) == "LLM"
    assert store.span_kind_of({semconv.OPENINFERENCE_SPAN_KIND: "TOOL"}) == "TOOL"
    assert store.span_kind_of({}) is None
