"""The collector, POST /v1/traces, over real HTTP: every format, every refusal, and commits."""

from __future__ import annotations

import gzip

import pytest
from http_client import gzipped, http
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from otlp_bodies import json_body, protobuf_body, turn_spans

from neatlogs import semconv, store
from neatlogs_cli.ui import DashboardServer

PROTOBUF = {"content-type": "application/x-protobuf"}


def post(server, body: bytes, headers: dict[str, str]):
    return http("POST", server.url + "/v1/traces", body, headers)


def test_protobuf_export_is_committed_before_the_200(server, db_path):
    spans = turn_spans("sess-1", 0, "Hello", "Hi there")
    reply = post(server, protobuf_body(spans), PROTOBUF)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/x-protobuf"
    ExportTraceServiceResponse().ParseFromString(reply.body)
    # A 200 means committed: a separate connection sees the spans at once.
    stored = store.get_trace(store.connect(db_path), spans[0]["trace_id"]).spans
    assert [s.name for s in stored] == ["chatbot_turn", "respond", "chat gpt-4o"]
    agent, llm, client = stored
    assert (agent.kind, agent.span_kind, agent.parent_span_id) == ("AGENT", "INTERNAL", None)
    assert (client.kind, client.span_kind, client.parent_span_id) == ("LLM", "CLIENT", llm.span_id)
    assert client.attributes[semconv.LLM_TOKEN_COUNT_TOTAL] == 30
    assert agent.resource[semconv.SERVICE_NAME] == "support-chatbot"
    assert agent.session_id == "sess-1"


def test_gzip_protobuf_and_json_bodies_are_taken(server):
    first = turn_spans("sess-2", 0, "one", "uno")
    second = turn_spans("sess-2", 1, "two", "dos")
    third = turn_spans("sess-2", 2, "three", "tres")
    third[2]["error"] = "RateLimitError: slow down"
    assert post(server, gzipped(protobuf_body(first)), {**PROTOBUF, "content-encoding": "gzip"}).status == 200
    reply = post(server, json_body(second), {"content-type": "application/json"})
    assert (reply.status, reply.json()) == (200, {})
    assert post(server, gzipped(json_body(third)), {"content-type": "application/json; charset=utf-8",
                                                   "content-encoding": "gzip"}).status == 200
    session = http("GET", server.url + "/api/sessions/sess-2").json()
    assert (session["trace_count"], session["span_count"], session["error_count"]) == (3, 9, 1)
    assert session["token_count"] == 90
    json_spans = session["traces"][1]["spans"]
    assert json_spans[2]["span_kind"] == "CLIENT"
    assert json_spans[2]["attributes"][semconv.LLM_TOKEN_COUNT_TOTAL] == 30  # "30" in JSON, an int here
    errored = session["traces"][2]["spans"][2]
    assert (errored["status_code"], errored["status_message"]) == ("ERROR", "RateLimitError: slow down")


def test_a_retried_batch_is_not_counted_twice(server):
    body = protobuf_body(turn_spans("sess-3", 0, "hi", "hello"))
    assert post(server, body, PROTOBUF).status == 200
    assert post(server, body, PROTOBUF).status == 200
    assert http("GET", server.url + "/api/sessions/sess-3").json()["span_count"] == 3


@pytest.mark.parametrize("encode, content_type", [(protobuf_body, PROTOBUF), (json_body, {"content-type": "application/json"})])
def test_a_span_with_a_remote_parent_is_its_sessions_root(server, encode, content_type):
    # A back end continuing a front end's trace (W3C traceparent): its spans' top one has a parent in
    # another process, flagged remote in OTLP's span flags. That span starts the back end's turn.
    spans = turn_spans("backend-sess", 0, "Where is my parcel?", "On its way")
    spans[0]["parent"], spans[0]["flags"] = "f" * 16, 0x300
    assert post(server, encode(spans), content_type).status == 200
    listed = {s["session_id"]: s for s in http("GET", server.url + "/api/sessions").json()["sessions"]}
    assert (listed["backend-sess"]["trace_count"], listed["backend-sess"]["turn_count"]) == (1, 1)
    found = http("GET", server.url + "/api/sessions?q=parcel").json()["sessions"]
    assert [s["session_id"] for s in found] == ["backend-sess"]


def test_a_span_with_a_local_parent_that_is_missing_is_not_a_root(server):
    spans = turn_spans("partial-sess", 0, "hi", "hello")[1:]  # the root has not arrived yet
    spans[0]["flags"] = 0x100  # the parent is known to be local
    assert post(server, protobuf_body(spans), PROTOBUF).status == 200
    session = http("GET", server.url + "/api/sessions/partial-sess").json()
    assert session["trace_count"] == 0


@pytest.mark.parametrize(
    "body, headers, needle",
    [
        (b"\xff\xff\xff not protobuf", PROTOBUF, "not an OTLP protobuf"),
        (b"{not json", {"content-type": "application/json"}, "not valid JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, "expected an object"),
        (b"not gzip at all", {**PROTOBUF, "content-encoding": "gzip"}, "not valid gzip"),
        (gzip.compress(b"x" * 100)[:20], {**PROTOBUF, "content-encoding": "gzip"}, "truncated"),
    ],
)
def test_malformed_bodies_get_400_with_a_reason(server, body, headers, needle):
    reply = post(server, body, headers)
    assert reply.status == 400
    assert needle in reply.json()["error"]


def test_bad_ids_get_400_naming_the_span(server):
    spans = turn_spans("sess-4", 0, "hi", "hello")
    spans[1]["trace_id"] = "abcd"
    reply = post(server, protobuf_body(spans), PROTOBUF)
    assert reply.status == 400
    assert reply.json()["error"] == "span 1: the trace id has 2 bytes; OTLP wants 16"
    spans[1]["trace_id"] = "zz" * 16
    reply = post(server, json_body(spans), {"content-type": "application/json"})
    assert reply.status == 400 and "is not hex" in reply.json()["error"]
    # Nothing of a refused batch is stored.
    assert http("GET", server.url + "/api/sessions/sess-4").status == 404


@pytest.mark.parametrize(
    "headers, needle",
    [
        ({"content-type": "text/plain"}, "content type 'text/plain' is not supported"),
        # What a cross-site form could send without a CORS preflight: refused.
        ({"content-type": "application/x-www-form-urlencoded"}, "is not supported: send application/x-protobuf"),
        ({**PROTOBUF, "content-encoding": "br"}, "content encoding 'br' is not supported"),
    ],
)
def test_unsupported_type_or_encoding_gets_415(server, headers, needle):
    reply = post(server, protobuf_body(turn_spans("s", 0, "a", "b")), headers)
    assert reply.status == 415
    assert needle in reply.json()["error"]


def test_bodies_over_the_limit_get_413_and_the_server_keeps_going(db_path):
    with DashboardServer(db_path, max_body=2000) as small:
        big = protobuf_body(turn_spans("big", 0, "x" * 3000, "y"))
        reply = post(small, big, PROTOBUF)
        assert reply.status == 413
        assert "limit is 2000" in reply.json()["error"]
        # Small on the wire, over the limit once inflated: refused too (no gzip bombs).
        reply = post(small, gzipped(big), {**PROTOBUF, "content-encoding": "gzip"})
        assert reply.status == 413
        assert "inflates to more than 2000 bytes" in reply.json()["error"]
        ok = post(small, protobuf_body(turn_spans("ok", 0, "a", "b")), PROTOBUF)
        assert ok.status == 200


def test_default_limit_is_16_mib(server):
    reply = post(server, b"\0" * (16 * 1024 * 1024 + 1), PROTOBUF)
    assert reply.status == 413
    assert str(16 * 1024 * 1024) in reply.json()["error"]


def test_api_key_is_required_when_set(keyed_server):
    body = protobuf_body(turn_spans("keyed", 0, "a", "b"))
    missing = post(keyed_server, body, PROTOBUF)
    assert (missing.status, missing.json()["error"]) == (401, "missing or wrong x-api-key header")
    assert post(keyed_server, body, {**PROTOBUF, "x-api-key": "wrong"}).status == 401
    assert post(keyed_server, body, {**PROTOBUF, "x-api-key": "s3cret"}).status == 200
    listed = http("GET", keyed_server.url + "/api/sessions", headers={"x-api-key": "s3cret"}).json()
    assert [s["session_id"] for s in listed["sessions"]] == ["keyed"]


def test_the_neatlogs_sdk_exports_to_the_collector(keyed_server):
    """The path `neatlogs run` takes with NEATLOGS_ENDPOINT: OTLP protobuf, gzip, x-api-key."""
    import neatlogs

    neatlogs.init(endpoint=keyed_server.url, api_key="s3cret", session_id="from-sdk", workflow_name="wf")

    @neatlogs.span(kind="AGENT", name="turn")
    def turn(message: str) -> str:
        return message.upper()

    assert turn("hello <b>") == "HELLO <B>"
    assert neatlogs.flush()
    session = http("GET", keyed_server.url + "/api/sessions/from-sdk", headers={"x-api-key": "s3cret"}).json()
    (trace,) = session["traces"]
    (span,) = trace["spans"]
    assert (span["name"], span["kind"], span["service_name"]) == ("turn", "AGENT", "wf")
    assert span["attributes"][semconv.OUTPUT_VALUE] == "HELLO <B>"
