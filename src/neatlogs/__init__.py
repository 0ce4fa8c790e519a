"""neatlogs: see what your LLM chatbot or agent did. ``neatlogs run -- python bot.py``.

This module holds the public API only; importing it is cheap (OpenTelemetry, its
exporters and the instrumented libraries are imported only when needed).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable, Iterable

from . import tracing as _tracing
from .compat import (
    extract_trace_context,
    inject_trace_context,
    langchain_handler,
    log,
    openai_agents_processor,
    wrap,
)
from .prompts import PromptTemplate, SystemPromptTemplate, UserPromptTemplate
from .sessions import current_session_id, identify, session
from .spans import SpanHandle, span, trace

__version__ = "0.1.0"

__all__ = [
    "PromptTemplate",
    "SpanHandle",
    "SystemPromptTemplate",
    "UserPromptTemplate",
    "current_session_id",
    "extract_trace_context",
    "flush",
    "identify",
    "init",
    "inject_trace_context",
    "langchain_handler",
    "log",
    "openai_agents_processor",
    "session",
    "shutdown",
    "span",
    "trace",
    "wrap",
]


def init(
    api_key: str | None = None,
    endpoint: str | None = None,
    workflow_name: str | None = None,
    instrumentations: Iterable[str] | None = None,
    auto_session: bool | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: dict[str, Any] | None = None,
    capture_content: bool | None = None,
    mask: Callable[[Any], Any] | None = None,
    sample_rate: float | None = None,
    disabled: bool | None = None,
    debug: bool | None = None,
    *,
    batch_size: int | None = None,
    flush_interval: float | None = None,
    disable_export: bool | None = None,
    capture_logs: bool | None = None,
    log_level: str | None = None,
    pii_enabled: bool | None = None,
    pii_entities: Iterable[str] | None = None,
    pii_span_types: Iterable[str] | None = None,
    tracer_provider: Any = None,
    isolate: bool | None = None,
    max_value_chars: int | None = None,
) -> None:
    """Start tracing with these settings; a later call updates them (no second exporter).

    An argument left as None falls back to ``NEATLOGS_*`` environment variables, then the
    config file, then the default. With no endpoint, spans go to the local store.

    The keyword-only arguments are those of the wider neatlogs SDK (``NEATLOGS-SDK-API.md``):
    the export batch size and interval, ``disable_export`` (spans made, none exported),
    ``capture_logs``/``log_level`` for :func:`log`, PII redaction hints for the backend
    (resource attributes ``neatlogs.pii.*``), ``tracer_provider`` (add neatlogs to this provider)
    and ``isolate`` (a provider of neatlogs' own, never the global one). ``max_value_chars`` is the
    longest captured value kept (default: 1,000,000 characters in the local store, 32,000 over OTLP).

    Raises:
        neatlogs.config.ConfigError: a setting has a bad value (one line naming it).
    """
    given = dict(
        api_key=api_key, endpoint=endpoint, workflow_name=workflow_name,
        instrumentations=list(instrumentations) if instrumentations is not None else None,
        auto_session=auto_session, session_id=session_id, user_id=user_id,
        tags=list(tags) if tags is not None else None, metadata=metadata,
        capture_content=capture_content, mask=mask, sample_rate=sample_rate,
        disabled=disabled, debug=debug,
        batch_size=batch_size, flush_interval=flush_interval, disable_export=disable_export,
        capture_logs=capture_logs, log_level=log_level, pii_enabled=pii_enabled,
        pii_entities=list(pii_entities) if pii_entities is not None else None,
        pii_span_types=list(pii_span_types) if pii_span_types is not None else None,
        tracer_provider=tracer_provider, isolate=isolate, max_value_chars=max_value_chars,
    )
    _tracing.init(**given)


def flush(timeout_millis: int = 30000) -> bool:
    """Export every finished span now; True on success. Safe before init() and after shutdown()."""
    return _tracing.flush(timeout_millis)


def shutdown(timeout_millis: int = 30000) -> bool:
    """Flush and stop tracing; True on success. Safe to call more than once."""
    return _tracing.shutdown(timeout_millis)
