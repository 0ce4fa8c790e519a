"""OTLP export bodies for the tests, built with opentelemetry-proto and by hand for JSON."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from neatlogs import semconv

BASE_NS = 1_700_000_000_000_000_000


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        out = AnyValue()
        out.array_value.values.extend(_value(v) for v in value)
        return out
    return AnyValue(string_value=str(value))


def _pairs(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in attributes.items()]


def turn_spans(session_id: str, turn: int, user: str, reply: str, tokens: int = 30) -> list[dict[str, Any]]:
    """The three spans of one chatbot turn (AGENT > LLM > CLIENT chat) as plain dicts."""
    trace_id = f"{turn + 1:032x}"
    start = BASE_NS + turn * 1_000_000_000
    common = {semconv.SESSION_ID: session_id}
    return [
        {
            "trace_id": trace_id, "span_id": f"{turn * 3 + 1:016x}", "parent": None, "name": "chatbot_turn",
            "kind": Span.SPAN_KIND_INTERNAL, "start": start, "end": start + 300_000_000,
            "attributes": {**common, semconv.OPENINFERENCE_SPAN_KIND: "AGENT",
                           semconv.INPUT_VALUE: json.dumps({"message": user, "history": []}),
                           semconv.INPUT_MIME_TYPE: semconv.MIME_JSON,
                           semconv.OUTPUT_VALUE: reply, semconv.OUTPUT_MIME_TYPE: semconv.MIME_TEXT},
        },
        {
            "trace_id": trace_id, "span_id": f"{turn * 3 + 2:016x}", "parent": f"{turn * 3 + 1:016x}",
            "name": "respond", "kind": Span.SPAN_KIND_INTERNAL, "start": start + 1_000_000, "end": start + 290_000_000,
            "attributes": {**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM",
                           semconv.LLM_PROMPT_TEMPLATE: "You are {{tone}}",
                           semconv.LLM_PROMPT_TEMPLATE_VARIABLES: json.dumps({"tone": "kind"})},
        },
        {
            "trace_id": trace_id, "span_id": f"{turn * 3 + 3:016x}", "parent": f"{turn * 3 + 2:016x}",
            "name": "chat gpt-4o", "kind": Span.SPAN_KIND_CLIENT, "start": start + 2_000_000, "end": start + 280_000_000,
            "attributes": {**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM", semconv.LLM_TOKEN_COUNT_TOTAL: tokens,
                           semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "user",
                           semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): user,
                           semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "assistant",
                           semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): reply},
        },
    ]


def protobuf_body(spans: list[dict[str, Any]], service: str = "support-chatbot") -> bytes:
    """An ExportTraceServiceRequest holding ``spans`` (dicts as made by :func:`turn_spans`)."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(_pairs({semconv.SERVICE_NAME: service}))
    scope_spans = resource_spans.scope_spans.add()
    for s in spans:
        span = scope_spans.spans.add()
        span.trace_id = bytes.fromhex(s["trace_id"])
        span.span_id = bytes.fromhex(s["span_id"])
        if s["parent"]:
            span.parent_span_id = bytes.fromhex(s["parent"])
        span.name = s["name"]
        span.kind = s["kind"]
        span.start_time_unix_nano = s["start"]
        span.end_time_unix_nano = s["end"]
        span.attributes.extend(_pairs(s["attributes"]))
        span.flags = s.get("flags", 0)
        if s.get("error"):
            span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=s["error"]))
    return request.SerializeToString()


def _json_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # OTLP/JSON sends 64-bit integers as strings
    return {"stringValue": str(value)}


def json_body(spans: list[dict[str, Any]], service: str = "support-chatbot") -> bytes:
    """The same export in OTLP/JSON (camelCase, hex ids, enums as numbers)."""
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": semconv.SERVICE_NAME, "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": [{
            "traceId": s["trace_id"], "spanId": s["span_id"], "parentSpanId": s["parent"] or "",
            "name": s["name"], "kind": s["kind"], "flags": s.get("flags", 0),
            "startTimeUnixNano": str(s["start"]), "endTimeUnixNano": str(s["end"]),
            "attributes": [{"key": k, "value": _json_value(v)} for k, v in s["attributes"].items()],
            "status": {"code": 2, "message": s["error"]} if s.get("error") else {},
        } for s in spans]}],
    }]}).encode()
