"""The JSON the API and the CLI print is public: its keys and value types are pinned here.

A fixed store (two sessions, one with an error and an event, one span with no session: it is
listed as its own session, keyed by its trace id) is
served by the real dashboard and read by the real `neatlogs` command; each answer's shape
(every key, every value's type, recursively) must be exactly the one written below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from http_client import http

from neatlogs import semconv, store

BASE = 1_700_000_000_000_000_000
RESOURCE = {semconv.SERVICE_NAME: "support-chatbot", "telemetry.sdk.name": "opentelemetry"}


def shape(value: Any) -> Any:
    """The value with every leaf replaced by its type's name (dicts and lists kept)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def _records() -> list[store.SpanRecord]:
    chat = store.SpanRecord(
        trace_id="a" * 32, span_id="1" * 16, parent_span_id=None, name="chatbot_turn",
        start_time_ns=BASE, end_time_ns=BASE + 900, kind="AGENT", span_kind="INTERNAL", status_code="OK",
        attributes={semconv.SESSION_ID: "chat", semconv.OPENINFERENCE_SPAN_KIND: "AGENT",
                    semconv.INPUT_VALUE: "hi", semconv.OUTPUT_VALUE: "hello", "tag.tags": ["a", "b"]},
        resource=RESOURCE,
    )
    chat_llm = store.SpanRecord(
        trace_id="a" * 32, span_id="2" * 16, parent_span_id="1" * 16, name="chat gpt-4o",
        start_time_ns=BASE + 10, end_time_ns=BASE + 800, kind="LLM", span_kind="CLIENT",
        status_code="ERROR", status_message="boom",
        attributes={semconv.SESSION_ID: "chat", semconv.OPENINFERENCE_SPAN_KIND: "LLM",
                    semconv.LLM_TOKEN_COUNT_TOTAL: 12, "ratio": 0.5, "streamed": True},
        events=[{"name": "exception", "time_ns": BASE + 700,
                 "attributes": {"exception.type": "ValueError", "exception.message": "boom"}}],
        resource=RESOURCE,
    )
    bare = store.SpanRecord(
        trace_id="b" * 32, span_id="3" * 16, parent_span_id=None, name="job",
        start_time_ns=BASE + 2000, end_time_ns=BASE + 3000,
        attributes={semconv.SESSION_ID: "bare"},
    )
    no_session = store.SpanRecord(
        trace_id="c" * 32, span_id="4" * 16, parent_span_id=None, name="orphan",
        start_time_ns=BASE + 4000, end_time_ns=BASE + 5000,
    )
    return [chat, chat_llm, bare, no_session]


SUMMARY_CHAT = {
    "session_id": "str", "service_name": "str", "first_start_ns": "int", "last_end_ns": "int",
    "span_count": "int", "trace_count": "int", "error_count": "int", "token_count": "int",
    "turn_count": "int", "no_session": "bool",
}
SUMMARY_BARE = {**SUMMARY_CHAT, "service_name": "NoneType"}
# The lists add each session's user, model calls, cost (null: no price) and turn latencies.
LISTED = {"user_id": "NoneType", "call_count": "int", "cost_usd": "float", "unpriced_calls": "int",
          "latency_ms": "float", "latency_p50_ms": "float", "latency_p95_ms": "float", "max_latency_ms": "float"}
LISTED_CHAT = {**SUMMARY_CHAT, **LISTED}
LISTED_BARE = {**SUMMARY_BARE, **LISTED}
TRACE_SUMMARY = {
    "trace_id": "str", "session_id": "str", "name": "str", "service_name": "str", "start_time_ns": "int",
    "end_time_ns": "int", "span_count": "int", "error_count": "int", "latency_ms": "float", "token_count": "int",
    "call_count": "int", "user_id": "NoneType", "cost_usd": "float", "unpriced_calls": "int",
}
TRACE_SUMMARY_BARE = {**TRACE_SUMMARY, "service_name": "NoneType"}
TRACE_SUMMARY_NO_SESSION = {**TRACE_SUMMARY_BARE, "session_id": "NoneType"}

ROOT_SPAN = {
    "trace_id": "str", "span_id": "str", "parent_span_id": "NoneType", "name": "str", "kind": "str",
    "span_kind": "str", "start_time_ns": "int", "end_time_ns": "int", "status_code": "str",
    "status_message": "NoneType", "session_id": "str", "service_name": "str",
    "attributes": {semconv.SESSION_ID: "str", semconv.OPENINFERENCE_SPAN_KIND: "str",
                   semconv.INPUT_VALUE: "str", semconv.OUTPUT_VALUE: "str", "tag.tags": ["str", "str"]},
    "events": [],
    "resource": {semconv.SERVICE_NAME: "str", "telemetry.sdk.name": "str"},
    "parent_is_remote": "bool",  # the parent is another process's: this span is a root here
}
CHILD_SPAN = {
    **ROOT_SPAN, "parent_span_id": "str", "status_message": "str",
    "attributes": {semconv.SESSION_ID: "str", semconv.OPENINFERENCE_SPAN_KIND: "str",
                   semconv.LLM_TOKEN_COUNT_TOTAL: "int", "ratio": "float", "streamed": "bool"},
    "events": [{"name": "str", "time_ns": "int",
                "attributes": {"exception.type": "str", "exception.message": "str"}}],
}
BARE_SPAN = {
    **ROOT_SPAN, "kind": "NoneType", "span_kind": "NoneType", "service_name": "NoneType",
    "attributes": {semconv.SESSION_ID: "str"}, "resource": {},
}
NO_SESSION_SPAN = {**BARE_SPAN, "session_id": "NoneType", "attributes": {}}

SESSION_CHAT = {**SUMMARY_CHAT, "traces": [{"trace_id": "str", "spans": [ROOT_SPAN, CHILD_SPAN]}]}
# `neatlogs show --json` adds the view model's turns; user_text/reply_text/first_chunk_ms may be null.
TURN = {"index": "int", "trace_ids": ["str"], "user_text": "str", "reply_text": "str", "tokens": "int",
        "tokens_not_reported": "bool", "duration_ms": "float", "first_chunk_ms": "NoneType", "stream_incomplete": "bool",
        "error_count": "int",
        "spans": "int"}
SILENT_TURN = {**TURN, "user_text": "NoneType", "reply_text": "NoneType"}


@pytest.fixture
def shaped_db(db_path: str) -> str:
    conn = store.connect(db_path)
    store.insert_spans(conn, _records())
    conn.close()
    return db_path


@pytest.fixture
def shaped_server(shaped_db: str):
    from neatlogs_cli.ui import DashboardServer

    with DashboardServer(shaped_db) as running:
        yield running


def test_api_json_shape(shaped_server):
    url = shaped_server.url
    assert shape(http("GET", url + "/api/sessions").json()) == {"sessions": [LISTED_BARE, LISTED_BARE, LISTED_CHAT]}
    assert shape(http("GET", url + "/api/traces").json()) == {
        "traces": [TRACE_SUMMARY_NO_SESSION, TRACE_SUMMARY_BARE, TRACE_SUMMARY]}
    assert shape(http("GET", url + "/api/sessions?q=hello").json()) == {"sessions": [LISTED_CHAT]}
    assert shape(http("GET", url + "/api/sessions/chat").json()) == SESSION_CHAT
    assert shape(http("GET", url + "/api/sessions/chat/summary").json()) == SUMMARY_CHAT
    assert shape(http("GET", url + "/api/traces/" + "a" * 32).json()) == {
        "trace_id": "str", "spans": [ROOT_SPAN, CHILD_SPAN],
    }
    assert shape(http("GET", url + "/api/traces/" + "c" * 32).json()) == {
        "trace_id": "str", "spans": [NO_SESSION_SPAN],
    }
    assert shape(http("GET", url + "/api/sessions/bare").json()) == {
        **SUMMARY_BARE, "traces": [{"trace_id": "str", "spans": [BARE_SPAN]}],
    }


def test_api_json_values(shaped_server):
    url = shaped_server.url
    session = http("GET", url + "/api/sessions/chat").json()
    assert {k: v for k, v in session.items() if k != "traces"} == {
        "session_id": "chat", "service_name": "support-chatbot", "first_start_ns": BASE,
        "last_end_ns": BASE + 900, "span_count": 2, "trace_count": 1, "error_count": 1, "token_count": 12,
        "turn_count": 1, "no_session": False,
    }
    listed = http("GET", url + "/api/sessions").json()["sessions"]
    assert [(s["session_id"], s["no_session"]) for s in listed] == [("c" * 32, True), ("bare", False), ("chat", False)]
    assert [t["session_id"] for t in http("GET", url + "/api/traces").json()["traces"]] == [None, "bare", "chat"]
    root, child = session["traces"][0]["spans"]
    assert (root["span_id"], child["parent_span_id"], child["status_message"]) == ("1" * 16, "1" * 16, "boom")
    assert child["events"] == [{"name": "exception", "time_ns": BASE + 700,
                                "attributes": {"exception.type": "ValueError", "exception.message": "boom"}}]
    assert session["traces"][0]["trace_id"] == "a" * 32


def _neatlogs(*args: str) -> Any:
    result = subprocess.run([sys.executable, "-m", "neatlogs_cli", *args], capture_output=True, text=True,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_json_shape(shaped_db):
    assert shape(_neatlogs("sessions", "--json", "--db", shaped_db)) == [LISTED_BARE, LISTED_BARE, LISTED_CHAT]
    assert shape(_neatlogs("show", "ch", "--json", "--db", shaped_db)) == {**SESSION_CHAT, "turns": [TURN]}
    assert shape(_neatlogs("traces", "--json", "--db", shaped_db)) == [
        TRACE_SUMMARY_NO_SESSION, TRACE_SUMMARY_BARE, TRACE_SUMMARY]
    # A trace id (or a prefix of one) shows that trace; a no-session trace is also its own session.
    assert shape(_neatlogs("show", "a" * 8, "--json", "--db", shaped_db)) == {
        "trace_id": "str", "spans": [ROOT_SPAN, CHILD_SPAN], "turns": [TURN]}
    assert shape(_neatlogs("show", "c" * 6, "--json", "--db", shaped_db)) == {
        **SUMMARY_BARE, "traces": [{"trace_id": "str", "spans": [NO_SESSION_SPAN]}], "turns": [SILENT_TURN]}
