"""Taking data out of the store and bringing it in: a session or trace as JSON or OTLP JSON, lists as CSV.

OTLP JSON is OpenTelemetry's own JSON encoding of a trace export (``ExportTraceServiceRequest``),
so a downloaded session can go to any collector's ``/v1/traces`` (``application/json``) or
back into a store with ``neatlogs import FILE``; ``import`` also takes neatlogs' own JSON
(``show --json``, the dashboard's JSON download).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Protocol

from neatlogs import semconv, store

from .server.otlp_decode import REMOTE_PARENT_FLAGS, OtlpError, decode_request

__all__ = ["ImportError_", "otlp_json", "read_import", "sessions_csv"]

_SPAN_KINDS = {"UNSPECIFIED": 0, "INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
_STATUS_CODES = {"UNSET": 0, "OK": 1, "ERROR": 2}
_SCOPE = {"name": "neatlogs.export"}


class ImportError_(ValueError):  # noqa: N801 - the builtin ImportError means something else
    """A file ``neatlogs import`` cannot read; the message is one line naming the problem."""


def _any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_any_value(v) for v in value]}}
    if value is None:
        return {}
    return {"stringValue": value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}


def _key_values(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": _any_value(value)} for key, value in attributes.items()]


def _otlp_span(span: store.SpanRecord) -> dict[str, Any]:
    attributes = span.attributes
    if span.kind and semconv.OPENINFERENCE_SPAN_KIND not in attributes:
        # The store's kind column may come from another convention: say it the way imports read it.
        attributes = {**attributes, semconv.OPENINFERENCE_SPAN_KIND: span.kind}
    encoded: dict[str, Any] = {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "name": span.name,
        "kind": _SPAN_KINDS.get(span.span_kind or "", 0),
        "startTimeUnixNano": str(span.start_time_ns),
        "endTimeUnixNano": str(span.end_time_ns),
        "attributes": _key_values(attributes),
        "events": [{"timeUnixNano": str(e.get("time_ns", 0)), "name": e.get("name", ""),
                    "attributes": _key_values(e.get("attributes") or {})} for e in span.events],
        "status": {"code": _STATUS_CODES.get(span.status_code, 0), **(
            {"message": span.status_message} if span.status_message else {})},
    }
    if span.parent_span_id:
        encoded["parentSpanId"] = span.parent_span_id
        if span.parent_is_remote:  # so an import keeps it the root of its process
            encoded["flags"] = REMOTE_PARENT_FLAGS
    return encoded


def otlp_json(spans: Iterable[store.SpanRecord]) -> dict[str, Any]:
    """The spans as one OTLP JSON trace export, grouped by resource."""
    groups: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for span in spans:
        key = json.dumps(span.resource, sort_keys=True, default=str)
        groups.setdefault(key, (span.resource, []))[1].append(_otlp_span(span))
    return {"resourceSpans": [
        {"resource": {"attributes": _key_values(resource)}, "scopeSpans": [{"scope": _SCOPE, "spans": encoded}]}
        for resource, encoded in groups.values()
    ]}


def _record(span: dict[str, Any]) -> store.SpanRecord:
    fields = {k: v for k, v in span.items() if k not in ("session_id", "service_name")}
    return store.SpanRecord(**fields)


def read_import(body: bytes, max_bytes: int) -> list[store.SpanRecord]:
    """The spans of an OTLP JSON export, or of neatlogs' own JSON (a session, a trace, or lists of them).

    Raises:
        ImportError_: the file is neither, or a span in it is malformed (the message says which).
    """
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ImportError_(f"not JSON: {error}") from None
    except RecursionError:
        raise ImportError_("its JSON nests too deep to read") from None
    if isinstance(document, dict) and "resourceSpans" in document:
        try:
            return decode_request(body, "application/json", None, max_bytes)
        except OtlpError as error:
            raise ImportError_(str(error)) from None
    documents = document if isinstance(document, list) else [document]
    records: list[store.SpanRecord] = []
    for item in documents:
        if not isinstance(item, dict) or not ("traces" in item or "spans" in item):
            raise ImportError_("neither an OTLP JSON export (resourceSpans) nor neatlogs JSON (traces or spans)")
        traces = item.get("traces") or [item]
        for trace in traces:
            for span in trace.get("spans") or []:
                try:
                    records.append(_record(span))
                except TypeError as error:
                    raise ImportError_(f"span {len(records)}: not a neatlogs span: {error}") from None
    return records


_CSV_COLUMNS = ("session_id", "service_name", "first_start_ns", "last_end_ns", "turn_count", "trace_count",
                "span_count", "token_count", "error_count", "no_session", "user_id", "call_count", "cost_usd",
                "latency_p50_ms", "latency_p95_ms")


class _Listed(Protocol):
    def to_json(self) -> dict[str, Any]: ...


def sessions_csv(sessions: Iterable[_Listed]) -> str:
    """Sessions as CSV, one row each, with a header row (a column the rows lack is left empty)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for session in sessions:
        row = session.to_json()
        writer.writerow([row.get(column) for column in _CSV_COLUMNS])
    return out.getvalue()
