"""An Agents SDK trace processor that records the SDK's traces and spans as OpenTelemetry spans.

One SDK trace (``trace(...)``, or the one ``Runner.run`` opens) is one OpenTelemetry trace
whose root span is named after the workflow and carries the trace's ``group_id`` (else the
run's ``Session`` id) as its session; each SDK span is a child of the span its ``parent_id`` names (of the root when it
has none). The root's ``input.value`` is what the user said to the first model call and
its ``output.value`` the last reply, so the views' "You:" and answer are the run's. An
agent span gets the instructions its model calls were sent as its system prompt. A model
call is one span: the SDK's, carrying what the openai client call made inside it was sent
(messages, parameters, where it went; ``FrameworkModelCall``), and what it answered.

Called by the SDK on the thread that starts and finishes each span; every hook returns at
once and never raises. Each SDK span is ended once: a processor registered twice (the
auto-hook and the program's own ``add_trace_processor``) sees each event twice and acts on
the first. Spans the SDK never finishes are ended with their trace, at shutdown, or when
the bounded map of open spans overflows.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

import threading

from agents.tracing import TracingProcessor

from ... import _log, semconv, tracing
from ..._content import current
from .._llm.call import FrameworkModelCall
from . import _attributes, _sessions

__all__ = ["NeatlogsTracingProcessor"]

_MAX_OPEN = 10_000
"""Open spans (and traces) kept at once; beyond it the oldest is ended as it is."""


class _Entry:
    """One open OpenTelemetry span and what its SDK span's descendants need of it."""

    __slots__ = ("span", "policy", "kind", "trace_id", "parent_id", "said", "instructed", "model_call")

    def __init__(self, span: Any, policy: Any, kind: str, trace_id: str, parent_id: str | None) -> None:
        self.span = span
        self.policy = policy
        self.kind = kind
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.said = False  # root: the user's input recorded; agent: its instructions recorded
        self.instructed = False
        self.model_call: FrameworkModelCall | None = None  # a model call's: the client call inside adds to it


class NeatlogsTracingProcessor(TracingProcessor):
    """Turns the Agents SDK's traces and spans into spans on neatlogs' tracer (``add_trace_processor``)."""

    def __init__(self) -> None:
        self.enabled = True
        self._open: dict[str, _Entry] = {}  # SDK span id, or trace id for a root -> its entry
        self._lock = threading.Lock()

    # --- lookups for the context bridge -------------------------------------------------------
    def context_of(self, item: Any) -> Any:
        """The OpenTelemetry context to make current while an SDK span or trace is, None if we have none.

        A model call's context lets the openai client call the SDK's model makes inside it
        add its request to the SDK's span instead of starting a second span for the same call.
        """
        entry = self._entry_of(item)
        if entry is None:
            return None
        if entry.model_call is not None:
            return entry.model_call.context()
        from opentelemetry import trace as trace_api

        return trace_api.set_span_in_context(entry.span)

    def _entry_of(self, item: Any) -> _Entry | None:
        key = getattr(item, "span_id", None) or getattr(item, "trace_id", None)
        return self._open.get(key) if isinstance(key, str) else None

    # --- the SDK's hooks --------------------------------------------------------------------------
    def on_trace_start(self, trace: Any) -> None:
        try:
            if not self.enabled or trace.trace_id in self._open:
                return
            tracer = tracing.get_tracer()
            if tracer is None:
                return
            attributes: dict[str, Any] = {semconv.OPENINFERENCE_SPAN_KIND: "CHAIN"}
            group_id = getattr(trace, "group_id", None)
            conversation = group_id if isinstance(group_id, str) and group_id else _sessions.current()
            if conversation:
                attributes[semconv.SESSION_ID] = attributes[semconv.GEN_AI_CONVERSATION_ID] = conversation
            span = tracer.start_span(str(trace.name or "Agent workflow"), attributes=attributes)
            self._remember(trace.trace_id, _Entry(span, current(), "ROOT", trace.trace_id, None))
        except Exception:
            _log.internal_error("recording the start of an Agents SDK trace failed")

    def on_trace_end(self, trace: Any) -> None:
        try:
            with self._lock:
                root = self._open.pop(trace.trace_id, None)
                left = [key for key, e in self._open.items() if e.trace_id == trace.trace_id] if root else []
                unfinished = [self._open.pop(key) for key in left]
            for entry in unfinished:  # the SDK never finished them: they end with their trace
                entry.span.end()
            if root is not None:
                root.span.end()
        except Exception:
            _log.internal_error("recording the end of an Agents SDK trace failed")

    def on_span_start(self, span: Any) -> None:
        try:
            if not self.enabled or span.span_id in self._open:
                return
            tracer = tracing.get_tracer()
            if tracer is None:
                return
            from opentelemetry import trace as trace_api

            parent = self._open.get(span.parent_id or span.trace_id)
            context = trace_api.set_span_in_context(parent.span) if parent is not None else None
            name, attributes = _attributes.start(span.span_data)
            otel_span = tracer.start_span(name, context=context, attributes=attributes)
            entry = _Entry(otel_span, current(), attributes[semconv.OPENINFERENCE_SPAN_KIND], span.trace_id,
                           span.parent_id)
            if getattr(span.span_data, "type", None) in _attributes.MODEL_TYPES:
                entry.model_call = FrameworkModelCall(otel_span, entry.policy)
            self._remember(span.span_id, entry)
        except Exception:
            _log.internal_error("recording the start of an Agents SDK span failed")

    def on_span_end(self, span: Any) -> None:
        with self._lock:
            entry = self._open.pop(span.span_id, None)
        if entry is None:
            return
        otel_span = entry.span
        try:
            data = span.span_data
            requested = entry.model_call.attributes if entry.model_call is not None else None
            name, attributes = _attributes.end(data, entry.policy, requested)
            if name:
                otel_span.update_name(name)
            if attributes:
                otel_span.set_attributes(attributes)
            if getattr(data, "type", None) in _attributes.MODEL_TYPES:
                self._model_call_ended(entry, data)
            from opentelemetry.trace import Status, StatusCode

            error = span.error
            if error:
                message = str(error.get("message") or "error")
                detail = (error.get("data") or {}).get("error")
                otel_span.set_status(Status(StatusCode.ERROR, f"{message}: {detail}"[:1000] if detail else message))
            else:
                otel_span.set_status(Status(StatusCode.OK))
        except Exception:
            _log.internal_error("recording the end of an Agents SDK span failed")
        finally:
            otel_span.end()

    def shutdown(self) -> None:
        self.end_all()

    def force_flush(self) -> None:
        try:
            tracing.flush(timeout_millis=5000)
        except Exception:
            _log.internal_error("flushing neatlogs for the Agents SDK failed")

    # --- ours ---------------------------------------------------------------------------------------
    def end_all(self) -> None:
        """End every span still open (the SDK is shutting down, or we are being turned off)."""
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
        for entry in reversed(entries):  # children first
            try:
                entry.span.end()
            except Exception:
                _log.internal_error("ending an open Agents SDK span failed")

    def _remember(self, key: str, entry: _Entry) -> None:
        with self._lock:
            evicted = self._open.pop(next(iter(self._open))) if len(self._open) >= _MAX_OPEN else None
            self._open[key] = entry
        if evicted is not None:
            evicted.span.end()

    def _ancestor(self, entry: _Entry, kind: str) -> _Entry | None:
        """The nearest open ancestor of ``kind`` (``ROOT``: the trace's root)."""
        if kind == "ROOT":
            return self._open.get(entry.trace_id)
        seen = 0
        while entry.parent_id is not None and seen < 64:
            parent = self._open.get(entry.parent_id)
            if parent is None:
                return None
            if parent.kind == kind:
                return parent
            entry, seen = parent, seen + 1
        return None

    def _model_call_ended(self, entry: _Entry, data: Any) -> None:
        """Give the trace's root the user's words and the reply, and the agent its instructions."""
        policy = entry.policy
        root = self._ancestor(entry, "ROOT")
        reply = _attributes.model_reply(data)
        if root is not None:
            if not root.said:
                said = _attributes.user_text(data)
                if said is not None:
                    root.said = True
                    root.span.set_attributes(
                        policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, said))
            if reply is not None:
                root.span.set_attributes(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, reply))
        agent = self._ancestor(entry, "AGENT")
        if agent is None:
            return
        if reply is not None:
            agent.span.set_attributes(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, reply))
        if not agent.instructed:
            instructions = _attributes.instructions_of(data)
            if instructions is not None:
                agent.instructed = True
                recorded = policy.masked(instructions)
                if recorded is not None:
                    parts = [{"type": "text", "content": recorded}]
                    agent.span.set_attribute(semconv.GEN_AI_SYSTEM_INSTRUCTIONS, policy.clean_text(parts))
