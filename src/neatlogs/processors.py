"""Our enriching span processors: they stamp sessions and prompt templates on spans as they start.

Each is an OpenTelemetry ``SpanProcessor`` whose only work is ``on_start``: called on the
span's thread for every span in the process (ours, instrumentations', third-party code's),
it must not block, raise or do I/O, and stays a few attribute reads in the common case.
What to stamp comes from ``sessions.current_stamp()`` and ``prompts.active_scope()``.

Importing this module imports the OpenTelemetry SDK: ``tracing`` imports it only when it
builds the provider.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import SpanProcessor

from . import _log, semconv
from .prompts import active_scope
from .sessions import current_stamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

__all__ = ["GenAIContentSpanProcessor", "PromptTemplateSpanProcessor", "SessionSpanProcessor", "StartOnlySpanProcessor"]

_KIND = semconv.OPENINFERENCE_SPAN_KIND


class StartOnlySpanProcessor(SpanProcessor):
    """A span processor whose only work is ``on_start``; every other hook does nothing."""

    def __init__(self) -> None:
        # Loaded with the processor, at the first span, rather than by `import neatlogs`.
        from ._fast_attributes import set_clean_attributes

        self._set_attributes = set_clean_attributes

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def _on_ending(self, span: Span) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_SET_BY_CALLER = frozenset({semconv.SESSION_ID, semconv.GEN_AI_CONVERSATION_ID, semconv.USER_ID, semconv.TAG_TAGS,
                            semconv.METADATA})
"""Keys a span's maker may have set at start; the stamp never overwrites them."""


class SessionSpanProcessor(StartOnlySpanProcessor):
    """Stamps session, user, tags, metadata and workflow on every span at start.

    A span whose parent is a live span of this process takes the parent's session: a trace
    is in one session, so a framework that sets its run's conversation id on its root span
    (LangGraph's ``thread_id``, the Agents SDK's ``group_id``) puts every span beneath it,
    the client calls included, in that conversation.

    Called on the span's thread; does no I/O and never raises.
    """

    def __init__(self) -> None:
        super().__init__()
        from opentelemetry.trace import get_current_span

        self._parent_of = get_current_span

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            stamp = current_stamp()
            parent_session = self._parent_session(parent_context)
            if parent_session is not None and parent_session != stamp.get(semconv.SESSION_ID):
                stamp = {**stamp, semconv.SESSION_ID: parent_session, semconv.GEN_AI_CONVERSATION_ID: parent_session}
            if not stamp:
                return
            existing = span.attributes
            if existing:
                # A dict copy, because membership tests through the Mapping protocol cost a
                # raised KeyError each; the common case (none of these keys set) is one C call.
                copy = getattr(existing, "copy", None)
                present = copy() if copy is not None else dict(existing)
                if not present.keys().isdisjoint(_SET_BY_CALLER):
                    stamp = _without_callers_own(stamp, present, parent_session is not None)
            self._set_attributes(span, stamp)
        except Exception:
            _log.internal_error("stamping the session on span %s failed", getattr(span, "name", "?"))


    def _parent_session(self, parent_context: Context | None) -> str | None:
        """The session of the live local span this one starts under, if it has one."""
        parent = self._parent_of(parent_context)
        attributes = getattr(parent, "attributes", None)  # a non-recording or remote parent has none
        if not attributes:
            return None
        session_id = attributes.get(semconv.SESSION_ID)
        return session_id if isinstance(session_id, str) else None


def _without_callers_own(stamp: Mapping[str, Any], present: Mapping[str, Any], in_parents: bool) -> dict[str, Any]:
    """The stamp without what the span's creator set itself; ``in_parents``: the span joins its parent's session."""
    kept = dict(stamp)
    if semconv.SESSION_ID in present:
        kept.pop(semconv.SESSION_ID, None)
        kept.pop(semconv.GEN_AI_CONVERSATION_ID, None)
    elif semconv.GEN_AI_CONVERSATION_ID in present:
        # The span names its conversation (an OpenTelemetry-native framework, a Responses API call
        # with ``conversation=``): the program's own id wins, unless the span continues a trace
        # already in a session of this process (a trace is in one session).
        conversation = present[semconv.GEN_AI_CONVERSATION_ID]
        kept.pop(semconv.GEN_AI_CONVERSATION_ID, None)
        if isinstance(conversation, str) and conversation and not in_parents:
            kept[semconv.SESSION_ID] = conversation
    for key in (semconv.USER_ID, semconv.TAG_TAGS, semconv.METADATA):
        if key in present:
            kept.pop(key, None)
    return kept


class PromptTemplateSpanProcessor(StartOnlySpanProcessor):
    """Copies the current ``trace(...)`` block's template attributes onto LLM spans at start.

    Called on the span's thread; does no I/O and never raises.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        scope = active_scope()
        if scope is None or not scope.attributes or span is scope.span:
            return
        try:
            if (span.attributes or {}).get(_KIND) == "LLM":
                self._set_attributes(span, scope.attributes)
        except Exception:
            _log.internal_error("copying prompt templates onto span %s failed", getattr(span, "name", "?"))


class GenAIContentSpanProcessor(StartOnlySpanProcessor):
    """Applies the content policy to the GenAI content keys of spans other OpenTelemetry code made.

    pydantic-ai and other OpenTelemetry-native frameworks set prompts, replies and tool
    arguments on their spans themselves (``_genai_content`` says what is kept). Added before
    the exporting processor, so what it sends is policed. The SDK's ``_on_ending`` hook
    cannot change an ending span (its attributes are already frozen, SDK 1.45), so the ended
    span handed to ``on_end`` gets the policed attribute table in its place: every
    processor after this one, the exporter's included, sees only that.

    Called on the span's thread; does no I/O and never raises.
    """

    def __init__(self, tracer_name: str) -> None:
        super().__init__()
        from . import _content
        from ._genai_content import SCOPE_CONTENT_KEYS, policed_attributes

        self._own_scope = tracer_name
        self._current_policy = _content.current
        self._policed = policed_attributes
        self._watched = semconv.GEN_AI_CONTENT_KEYS.union(*SCOPE_CONTENT_KEYS.values())

    def on_end(self, span: ReadableSpan) -> None:
        try:
            scope = span.instrumentation_scope
            scope_name = scope.name if scope is not None else None
            if scope_name == self._own_scope:
                return
            attributes = span.attributes
            if not attributes or self._watched.isdisjoint(attributes.keys()):
                return
            policed = self._policed(scope_name, attributes, self._current_policy())
            if policed is not None:
                # ReadableSpan.attributes is a read-only view of this table (``ReadableSpan.attributes``,
                # https://github.com/open-telemetry/opentelemetry-python/blob/v1.45.2/opentelemetry-sdk/src/opentelemetry/sdk/trace/__init__.py);
                # tests/frameworks/test_pydantic_ai.py checks on the wire that it still is.
                span._attributes = policed
        except Exception:
            _log.internal_error("policing the content of span %s failed", getattr(span, "name", "?"))
