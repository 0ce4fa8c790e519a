"""``SqliteSpanExporter``: writes finished spans into the local store, one transaction per batch."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Sequence

from opentelemetry.sdk.trace.export import SpanExportResult

from .. import _log, store
from .base import NeatlogsSpanExporter

if TYPE_CHECKING:
    import sqlite3

    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["SqliteSpanExporter", "span_to_record"]

_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def _plain(value: Any) -> Any:
    # BoundedAttributes hold tuples for list values; readers of the store expect lists.
    return list(value) if isinstance(value, tuple) else value


_resource_cache: tuple[Any, dict[str, Any]] | None = None


def _resource_dict(resource: Any) -> dict[str, Any]:
    # Every span of a process shares one Resource: convert it once, not per span.
    global _resource_cache
    cached = _resource_cache
    if cached is not None and cached[0] is resource:
        return cached[1]
    converted = {k: _plain(v) for k, v in resource.attributes.items()}
    _resource_cache = (resource, converted)
    return converted


def span_to_record(span: Any) -> store.SpanRecord:
    """Convert an OpenTelemetry ``ReadableSpan`` into the store's ``SpanRecord``."""
    ctx = span.context
    attributes = span.attributes
    # BoundedAttributes.copy() is a plain dict copy, much cheaper than dict() through the Mapping protocol.
    attributes = attributes.copy() if attributes else {}
    for key, value in attributes.items():
        if type(value) is tuple:
            attributes[key] = list(value)
    parent = span.parent
    return store.SpanRecord(
        trace_id=_hex(ctx.trace_id, 32),
        span_id=_hex(ctx.span_id, 16),
        parent_span_id=_hex(parent.span_id, 16) if parent is not None else None,
        name=span.name,
        kind=store.span_kind_of(attributes),
        span_kind=span.kind.name if span.kind is not None else None,
        start_time_ns=span.start_time or 0,
        end_time_ns=span.end_time or span.start_time or 0,
        status_code=_STATUS.get(span.status.status_code.value, "UNSET"),
        status_message=span.status.description,
        attributes=attributes,
        events=[
            {
                "name": e.name,
                "time_ns": e.timestamp,
                "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()},
            }
            for e in span.events
        ]
        if span.events
        else [],
        resource=_resource_dict(span.resource),
    )


class SqliteSpanExporter(NeatlogsSpanExporter):
    """Writes each batch of finished spans to ``path`` in one SQLite transaction.

    Safe across fork: a child process opens its own connection. Nothing is ever spooled:
    the store is on this machine, so a batch that cannot be written is lost (and logged).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn = store.connect(self.path)
            self._pid = os.getpid()
        return self._conn

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        try:
            records = [span_to_record(s) for s in spans]
            with self._lock:
                store.insert_spans(self._connection(), records)
            return SpanExportResult.SUCCESS
        except Exception:
            _log.debug("writing %d spans to %s failed", len(spans), self.path, exc_info=True)
            return SpanExportResult.FAILURE

    def spill(self, spans: Sequence[ReadableSpan]) -> None:
        """At exit, write what is left: the local store is as fast as a spool would be."""
        self.export(spans)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None and self._pid == os.getpid():
                try:
                    self._conn.close()
                except Exception:
                    _log.debug("closing %s failed", self.path, exc_info=True)
            self._conn = None
