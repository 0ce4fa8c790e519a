"""A real OTLP/HTTP receiver on loopback that decodes protobuf with opentelemetry-proto.

Tests and benchmarks read what arrived as plain dicts: ``receiver.spans()``. Its answer
can be changed on demand (``receiver.status = 500``) to play a failing backend.
"""

from __future__ import annotations

import gzip
import threading
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from neatlogs_cli.demo.loopback import BackgroundHTTPServer, QuietHandler

__all__ = ["OtlpReceiver", "any_value"]


def any_value(value: Any) -> Any:
    """Decode an OTLP ``AnyValue`` into a Python value."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in pairs}


class _Handler(QuietHandler):
    server: Any  # its .owner is the OtlpReceiver

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        receiver = self.server.owner
        with receiver.lock:
            receiver.raw.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            status = receiver.status
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                status = receiver.fail_status
            if receiver.max_body is not None and len(body) > receiver.max_body:
                status = 413
        if status != 200:
            self.send_response(status)
            self.send_header("content-length", "0")
            if receiver.retry_after is not None:
                self.send_header("retry-after", str(receiver.retry_after))
            self.end_headers()
            return
        data = gzip.decompress(body) if (self.headers.get("content-encoding") or "").lower() == "gzip" else body
        request = ExportTraceServiceRequest()
        request.ParseFromString(data)
        with receiver.lock:
            receiver.requests.append(request)
        out = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class OtlpReceiver(BackgroundHTTPServer):
    """OTLP/HTTP receiver on 127.0.0.1: ``with OtlpReceiver() as r: ... r.spans()``."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(_Handler, port=port)
        self.lock = threading.Lock()
        self.raw: list[dict[str, Any]] = []
        self.requests: list[ExportTraceServiceRequest] = []
        self.status = 200  # the answer to every request
        self.fail_next = 0  # answer fail_status to this many requests first
        self.fail_status = 500
        self.retry_after: float | None = None  # sent with every non-200 answer
        self.max_body: int | None = None  # bodies larger than this get 413

    @property
    def endpoint(self) -> str:
        """The base URL to give neatlogs as its endpoint."""
        return f"http://127.0.0.1:{self.port}"

    def spans(self) -> list[dict[str, Any]]:
        """Every span received so far, decoded, in arrival order."""
        out = []
        with self.lock:
            requests = list(self.requests)
        for request in requests:
            for resource_spans in request.resource_spans:
                resource = _attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for s in scope_spans.spans:
                        out.append({
                            "name": s.name,
                            "trace_id": s.trace_id.hex(),
                            "span_id": s.span_id.hex(),
                            "parent_span_id": s.parent_span_id.hex() or None,
                            "kind": s.kind,
                            "start_time_ns": s.start_time_unix_nano,
                            "end_time_ns": s.end_time_unix_nano,
                            "status_code": s.status.code,
                            "status_message": s.status.message,
                            "attributes": _attributes(s.attributes),
                            "events": [{"name": e.name, "attributes": _attributes(e.attributes)} for e in s.events],
                            "resource": resource,
                            "scope": scope_spans.scope.name,
                        })
        return out

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` spans arrived (or ``timeout``), then return all spans."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = self.spans()
            if len(spans) >= count:
                return spans
            time.sleep(0.02)
        return self.spans()
