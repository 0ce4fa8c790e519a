"""Halving an encoded OTLP trace request at span boundaries: how a spooled body too large for its endpoint is sent.

A spooled file holds a finished request body (gzipped ``ExportTraceServiceRequest``); the
spans it came from are gone. When an endpoint answers 413, the exporter sends the body in
halves, as it does a live batch: this module cuts the request at span boundaries and keeps
each span's resource and scope, reading only the protobuf framing (field numbers from
opentelemetry-proto ``trace/v1/trace.proto`` and ``collector/trace/v1/trace_service.proto``:
request.resource_spans = 1, ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2).
"""

from __future__ import annotations

__all__ = ["halve_request", "span_count"]

_LEN = 2  # protobuf wire type of length-delimited fields

Framing = list[tuple[tuple[int, int], bytes, bytes, bytes]]
"""One row per span: ((resource_spans index, scope_spans index), resource_spans' other fields,
scope_spans' other fields, the span's whole field)."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated or invalid varint")
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, bytes, bytes | None]]:
    """(field number, the field's whole bytes, its payload if length-delimited) for each field."""
    out: list[tuple[int, bytes, bytes | None]] = []
    i = 0
    while i < len(buf):
        start = i
        key, i = _read_varint(buf, i)
        wire = key & 7
        payload = None
        if wire == 0:
            _, i = _read_varint(buf, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == _LEN:
            length, i = _read_varint(buf, i)
            payload = buf[i:i + length]
            i += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if i > len(buf):
            raise ValueError("truncated protobuf field")
        out.append((key >> 3, buf[start:i], payload))
    return out


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(payload)) + payload


def _framing(request: bytes) -> Framing:
    rows: Framing = []
    for rs_index, (number, _, resource_spans) in enumerate(_fields(request)):
        if number != 1 or resource_spans is None:
            continue
        rs_fields = _fields(resource_spans)
        rs_rest = b"".join(raw for n, raw, _ in rs_fields if n != 2)
        for ss_index, (n, _, scope_spans) in enumerate(rs_fields):
            if n != 2 or scope_spans is None:
                continue
            ss_fields = _fields(scope_spans)
            ss_rest = b"".join(raw for m, raw, _ in ss_fields if m != 2)
            for m, raw, _ in ss_fields:
                if m == 2:
                    rows.append(((rs_index, ss_index), rs_rest, ss_rest, raw))
    return rows


def _encode(rows: Framing) -> bytes:
    """The request holding ``rows``' spans, each under its own resource and scope, in order."""
    out = bytearray()
    i = 0
    while i < len(rows):
        rs_index, rs_rest = rows[i][0][0], rows[i][1]
        resource_spans = bytearray(rs_rest)
        while i < len(rows) and rows[i][0][0] == rs_index:
            where, scope_spans = rows[i][0], bytearray(rows[i][2])
            while i < len(rows) and rows[i][0] == where:
                scope_spans += rows[i][3]
                i += 1
            resource_spans += _len_field(2, bytes(scope_spans))
        out += _len_field(1, bytes(resource_spans))
    return bytes(out)


def span_count(request: bytes) -> int:
    """How many spans an (uncompressed) OTLP trace request holds."""
    return len(_framing(request))


def halve_request(request: bytes) -> list[tuple[bytes, int]]:
    """Two (uncompressed) requests holding the first and second half of ``request``'s spans, with their counts.

    Returns one part, the request itself, when it holds fewer than two spans. Raises
    ValueError when the bytes are not an OTLP trace request.
    """
    rows = _framing(request)
    if len(rows) < 2:
        return [(request, len(rows))]
    half = len(rows) // 2
    return [(_encode(rows[:half]), half), (_encode(rows[half:]), len(rows) - half)]
