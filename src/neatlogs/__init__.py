"""neatlogs: see what your LLM chatbot or agent did. ``neatlogs run -- python bot.py``.

This module holds the public API only; importing it is cheap (OpenTelemetry, its
exporters and the instrumented libraries are imported only when needed).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable, Iterable

from . import tracing as _tracing
from .prompts import PromptTemplate, SystemPromptTemplate, UserPromptTemplate
from .sessions import current_session_id, session
from .spans import SpanHandle, span, trace

__version__ = "0.1.0"

__all__ = [
    "PromptTemplate",
    "SpanHandle",
    "SystemPromptTemplate",
    "UserPromptTemplate",
    "current_session_id",
    "flush",
    "init",
    "session",
    "shutdown",
    "span",
    "trace",
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
) -> None:
    """Start tracing with these settings; a later call updates them (no second exporter).

    An argument left as None falls back to ``NEATLOGS_*`` environment variables, then the
    config file, then the default. With no endpoint, spans go to the local store.

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
    )
    _tracing.init(**given)


def flush(timeout_millis: int = 30000) -> bool:
    """Export every finished span now; True on success. Safe before init() and after shutdown()."""
    return _tracing.flush(timeout_millis)


def shutdown(timeout_millis: int = 30000) -> bool:
    """Flush and stop tracing; True on success. Safe to call more than once."""
    return _tracing.shutdown(timeout_millis)
