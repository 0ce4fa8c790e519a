"""Decode an OTLP/HTTP trace export (protobuf or JSON, gzip or not) into store records.

The collector route calls :func:`decode_request`; every problem with the body becomes an
:class:`OtlpError` carrying the HTTP status to answer with and a one-line message.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Iterable

from neatlogs.store import SpanRecord, span_kind_of

__all__ = [
    "JSON_TYPES",
    "OtlpError",
    "PROTOBUF_TYPES",
    "REMOTE_PARENT_FLAGS",
    "decode_request",
    "encode_success",
    "stated_size",
]

PROTOBUF_TYPES = frozenset({"application/x-protobuf", "application/protobuf"})
"""Content types of an OTLP protobuf body."""

JSON_TYPES = frozenset({"application/json"})
"""Content types of an OTLP JSON body."""

_ENCODINGS = frozenset({"", "identity", "gzip"})
_SPAN_KINDS = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_STATUS_CODES = ("UNSET", "OK", "ERROR")
# OTLP ``SpanFlags``: bit 8 says whether bit 9 is known, bit 9 that the parent is remote
# (https://github.com/open-telemetry/opentelemetry-proto/blob/v1.5.0/opentelemetry/proto/trace/v1/trace.proto#L299).
REMOTE_PARENT_FLAGS = 0x100 | 0x200
"""OTLP span flags of a span whose parent is known to be remote (what ``neatlogs export`` writes for one)."""


def _remote_parent(flags: Any) -> bool:
    """True when a span's OTLP flags say its parent is in another process."""
    try:
        return int(flags or 0) & REMOTE_PARENT_FLAGS == REMOTE_PARENT_FLAGS
    except (TypeError, ValueError):
        return False


class OtlpError(Exception):
    """The request cannot be taken: ``status`` is the HTTP answer, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def media_type(content_type: str | None) -> str:
    """Return the bare, lower-case media type of a Content-Type header value."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_headers(content_type: str | None, content_encoding: str | None) -> None:
    """Raise ``OtlpError(415)`` unless the body is OTLP protobuf or JSON, gzip or plain."""
    kind = media_type(content_type)
    if kind not in PROTOBUF_TYPES and kind not in JSON_TYPES:
        raise OtlpError(
            415,
            f"content type {kind or '(none)'!r} is not supported: "
            "send application/x-protobuf or application/json",
        )
    encoding = (content_encoding or "").strip().lower()
    if encoding not in _ENCODINGS:
        raise OtlpError(415, f"content encoding {encoding!r} is not supported: send gzip or none")


def decode_request(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> list[SpanRecord]:
    """Return the spans of one export request.

    Raises:
        OtlpError: 415 for an unsupported type or encoding, 413 when the body inflates past
            ``max_bytes``, 400 when it is not a valid OTLP trace export.
    """
    check_headers(content_type, content_encoding)
    if (content_encoding or "").strip().lower() == "gzip":
        body = _gunzip(body, max_bytes)
    try:
        if media_type(content_type) in PROTOBUF_TYPES:
            return _from_protobuf(body)
        return _from_json(body)
    except RecursionError:  # an OTLP/JSON value of arrays in arrays, thousands deep
        raise OtlpError(400, "the body nests values too deep to read") from None


def stated_size(body: bytes, content_encoding: str | None, max_bytes: int) -> int:
    """The bytes ``body`` takes decoded, at most ``max_bytes``: a gzip body states it in its trailer.

    The trailer is the sender's word: :func:`decode_request` is then held to it (passed as
    its ``max_bytes``), so a body that states little cannot inflate to more.
    """
    if (content_encoding or "").strip().lower() != "gzip":
        return len(body)
    if len(body) < 18:  # shorter than a gzip header and trailer: the gunzip will say so
        return min(len(body), max_bytes)
    return min(int.from_bytes(body[-4:], "little"), max_bytes)


def encode_success(content_type: str | None) -> tuple[bytes, str]:
    """Return the body and content type of a successful export answer (OTLP: same format)."""
    if media_type(content_type) in PROTOBUF_TYPES:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

        return ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf"
    return b"{}", "application/json"


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        # Bounded, so a small gzip bomb cannot fill the memory.
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as error:
        raise OtlpError(400, f"the body is not valid gzip: {error}") from None
    if len(data) > max_bytes:
        raise OtlpError(413, f"the body inflates to more than {max_bytes} bytes")
    if not inflater.eof:
        raise OtlpError(400, "the gzip body is truncated")
    return data


# --- protobuf ---------------------------------------------------------------------------------


def _any_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        # Attributes hold flat values; a nested map is kept as JSON text, as the SDK does.
        return json.dumps({kv.key: _any_value(kv.value) for kv in value.kvlist_value.values})
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)


def _pb_attributes(pairs: Iterable[Any]) -> dict[str, Any]:
    # The hot loop of ingest: plain strings and numbers are read inline (bench/ingest.py).
    out: dict[str, Any] = {}
    for kv in pairs:
        value = kv.value
        which = value.WhichOneof("value")
        if which == "string_value":
            out[kv.key] = value.string_value
        elif which in _SCALARS:
            out[kv.key] = getattr(value, which)
        else:
            out[kv.key] = _any_value(value)
    return out


_SCALARS = frozenset({"int_value", "double_value", "bool_value"})


def _from_protobuf(body: bytes) -> list[SpanRecord]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as error:
        raise OtlpError(400, f"the body is not an OTLP protobuf trace export: {error}") from None
    records: list[SpanRecord] = []
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                position = len(records)
                trace_id = _pb_id(span.trace_id, 16, "trace", position)
                span_id = _pb_id(span.span_id, 8, "span", position)
                parent = _pb_id(span.parent_span_id, 8, "parent span", position) if span.parent_span_id else None
                attributes = _pb_attributes(span.attributes)
                records.append(
                    SpanRecord(
                        trace_id=trace_id,
                        span_id=span_id,
                        parent_span_id=parent,
                        parent_is_remote=parent is not None and _remote_parent(span.flags),
                        name=span.name,
                        start_time_ns=span.start_time_unix_nano,
                        end_time_ns=span.end_time_unix_nano or span.start_time_unix_nano,
                        kind=span_kind_of(attributes),
                        span_kind=_enum(_SPAN_KINDS, span.kind),
                        status_code=_enum(_STATUS_CODES, span.status.code),
                        status_message=span.status.message or None,
                        attributes=attributes,
                        events=[
                            {"name": e.name, "time_ns": e.time_unix_nano, "attributes": _pb_attributes(e.attributes)}
                            for e in span.events
                        ],
                        resource=resource,
                    )
                )
    return records


def _pb_id(raw: bytes, width: int, what: str, position: int) -> str:
    if len(raw) != width:
        raise OtlpError(400, f"span {position}: the {what} id has {len(raw)} bytes; OTLP wants {width}")
    return raw.hex()


def _enum(names: tuple[str, ...], value: Any) -> str:
    if isinstance(value, str):
        # OTLP JSON may spell enums by name: SPAN_KIND_CLIENT, STATUS_CODE_ERROR.
        short = value.upper().rsplit("_", 1)[-1]
        return short if short in names else names[0]
    return names[value] if isinstance(value, int) and 0 <= value < len(names) else names[0]


# --- JSON (OTLP/JSON: camelCase keys, ids as hex, 64-bit integers possibly as strings) ---------


def _from_json(body: bytes) -> list[SpanRecord]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise OtlpError(400, f"the body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise OtlpError(400, "the body is not an OTLP JSON trace export: expected an object")
    records: list[SpanRecord] = []
    try:
        for resource_spans in _list(document, "resourceSpans"):
            resource = _json_attributes((resource_spans.get("resource") or {}).get("attributes"))
            scopes = _list(resource_spans, "scopeSpans") or _list(resource_spans, "instrumentationLibrarySpans")
            for scope_spans in scopes:
                for span in _list(scope_spans, "spans"):
                    records.append(_json_span(span, resource, len(records)))
    except (AttributeError, TypeError, ValueError) as error:
        raise OtlpError(400, f"span {len(records)}: not a valid OTLP JSON span: {error}") from None
    return records


def _list(obj: Any, key: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtlpError(400, f"{key} must be a list")
    return value


def _json_span(span: dict[str, Any], resource: dict[str, Any], position: int) -> SpanRecord:
    attributes = _json_attributes(span.get("attributes"))
    status = span.get("status") or {}
    start = int(span.get("startTimeUnixNano") or 0)
    parent = span.get("parentSpanId") or None
    return SpanRecord(
        trace_id=_json_id(span.get("traceId"), 16, "trace", position),
        span_id=_json_id(span.get("spanId"), 8, "span", position),
        parent_span_id=_json_id(parent, 8, "parent span", position) if parent else None,
        parent_is_remote=bool(parent) and _remote_parent(span.get("flags")),
        name=str(span.get("name") or ""),
        start_time_ns=start,
        end_time_ns=int(span.get("endTimeUnixNano") or start),
        kind=span_kind_of(attributes),
        span_kind=_enum(_SPAN_KINDS, span.get("kind", 0)),
        status_code=_enum(_STATUS_CODES, status.get("code", 0)),
        status_message=status.get("message") or None,
        attributes=attributes,
        events=[
            {
                "name": str(e.get("name") or ""),
                "time_ns": int(e.get("timeUnixNano") or 0),
                "attributes": _json_attributes(e.get("attributes")),
            }
            for e in span.get("events") or []
        ],
        resource=resource,
    )


def _json_id(value: Any, width: int, what: str, position: int) -> str:
    text = str(value or "").lower()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise OtlpError(400, f"span {position}: the {what} id {text[:40]!r} is not hex") from None
    if len(raw) != width:
        raise OtlpError(400, f"span {position}: the {what} id has {len(raw)} bytes; OTLP wants {width}")
    return text


def _json_attributes(pairs: Any) -> dict[str, Any]:
    if not pairs:
        return {}
    return {str(kv["key"]): _json_value(kv.get("value") or {}) for kv in pairs}


def _json_value(value: dict[str, Any]) -> Any:
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [_json_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return json.dumps(_json_attributes((value["kvlistValue"] or {}).get("values")))
    if "bytesValue" in value:
        return str(value["bytesValue"])
    return None
