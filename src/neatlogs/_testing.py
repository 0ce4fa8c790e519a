"""Test support: capture spans in memory and reset neatlogs between tests. Not public API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import sessions, tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["init_in_memory", "reset"]


def init_in_memory(**settings: Any) -> InMemorySpanExporter:
    """``neatlogs.init(**settings)`` exporting synchronously to a returned ``InMemorySpanExporter``."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import neatlogs

    exporter = InMemorySpanExporter()
    tracing.runtime.use_test_exporter(exporter)
    neatlogs.init(**settings)
    tracing.get_tracer()
    return exporter


def reset() -> None:
    """Shut neatlogs down and forget the global OpenTelemetry provider, as a fresh process would."""
    tracing.shutdown(timeout_millis=5000)
    tracing.runtime.forget()
    from . import instrumentation

    instrumentation.disable_all()
    sessions.configure(None, None, (), None, None)
    try:
        from opentelemetry import trace as trace_api
        from opentelemetry.util._once import Once

        trace_api._TRACER_PROVIDER = None
        trace_api._TRACER_PROVIDER_SET_ONCE = Once()
    except ImportError:
        pass
