"""One traced LLM call: its span, its content policy, and the single place the span ends.

Shared by every instrumented client library: the patched method starts an
:class:`LLMCall`, the response or the stream proxy finishes it. ``finish`` ends the span
exactly once, whichever path (return, error, stream end, close, garbage collection) gets
there first; later calls are no-ops. Nothing here raises into the host program.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import _content, _framework_runs, _log, semconv, tracing
from ..._fast_attributes import set_clean_attributes
from .bounds import FINISH_RESERVE, bound_messages, room_on
from .genai import request_genai, response_genai

__all__ = ["FrameworkModelCall", "LLMCall", "start_call"]

_otel: Any = None
"""(context, trace, SpanKind.CLIENT, Status OK, suppress key, in-call key), once OTel is loaded."""

calls_started = 0
"""Model calls traced in this process (the ``neatlogs run`` exit line says when there were none)."""


def _otel_parts() -> Any:
    global _otel
    if _otel is None:
        from opentelemetry import context, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        _otel = (context, trace, SpanKind.CLIENT, Status(StatusCode.OK), context._SUPPRESS_INSTRUMENTATION_KEY,
                 context.create_key("neatlogs-llm-call"))
    return _otel


class LLMCall:
    """A started CLIENT span plus the content policy in force when the call began."""

    __slots__ = ("span", "policy", "start_ns", "first_chunk_ns", "_finished")

    def __init__(self, span: Any, policy: _content.ContentPolicy) -> None:
        self.span = span
        self.policy = policy
        self.start_ns = time.monotonic_ns()
        self.first_chunk_ns: int | None = None
        self._finished = False

    @property
    def finished(self) -> bool:
        """True once the span has been ended."""
        return self._finished

    def attach(self) -> Any:
        """Make the span current while the request is sent; returns the token for :meth:`detach`.

        The context also says a traced call is under way, so a client library that calls
        another instrumented one (litellm calling openai, say) makes one span, not two.
        """
        try:
            context, trace, in_call = _otel[0], _otel[1], _otel[5]
            return context.attach(context.set_value(in_call, True, trace.set_span_in_context(self.span)))
        except Exception:
            _log.internal_error("attaching the LLM span failed")
            return None

    def detach(self, token: Any) -> None:
        """Undo :meth:`attach` in the same frame that attached."""
        if token is None:
            return
        try:
            _otel[0].detach(token)
        except Exception:
            _log.internal_error("detaching the LLM span failed")

    def mark_first_chunk(self) -> None:
        """Record the time to the first streamed chunk (only the first call counts)."""
        if self.first_chunk_ns is None:
            self.first_chunk_ns = time.monotonic_ns()

    def finish(
        self,
        attributes: dict[str, Any] | None = None,
        error: BaseException | None = None,
        incomplete: bool = False,
    ) -> None:
        """Set the final attributes and status and end the span; only the first call does anything."""
        if self._finished:
            return
        self._finished = True
        span = self.span
        try:
            if self.first_chunk_ns is not None:
                attributes = dict(attributes or ())
                attributes[semconv.NEATLOGS_FIRST_CHUNK_MS] = round((self.first_chunk_ns - self.start_ns) / 1e6, 3)
            if error is None and incomplete:
                attributes = dict(attributes or ())
                attributes[semconv.NEATLOGS_STREAM_INCOMPLETE] = True
            if attributes:
                bound_messages(attributes, semconv.LLM_OUTPUT_MESSAGES, room_on(span))
                response_genai(attributes, self.policy)
                set_clean_attributes(span, attributes)
            if error is not None:
                _record_error(span, error)
            elif not incomplete:
                span.set_status(_otel[3])
        except Exception:
            _log.internal_error("recording the LLM call's result failed")
        try:
            span.end()
        except Exception:
            _log.internal_error("ending the LLM span failed")


class FrameworkModelCall:
    """A framework's own span for one model call (the Agents SDK's ``response`` span).

    While its context (:meth:`context`) is current, the client call the framework makes
    inside it starts no span of its own: it leaves its request attributes (the messages sent,
    the parameters, where the call goes) in ``attributes``, for the framework's span to carry
    when it ends. One model call, one span.
    """

    __slots__ = ("span", "policy", "attributes")

    def __init__(self, span: Any, policy: _content.ContentPolicy) -> None:
        self.span = span
        self.policy = policy
        self.attributes: dict[str, Any] | None = None
        """The first client call's request attributes, once it was made."""

    def context(self) -> Any:
        """The OpenTelemetry context with this span current, in which client calls add to it."""
        parts = _otel or _otel_parts()
        context, trace, in_call = parts[0], parts[1], parts[5]
        return context.set_value(in_call, self, trace.set_span_in_context(self.span))

    def absorb(self, attributes_of: Any, request: Any, extra: dict[str, Any] | None) -> None:
        """Keep the client call's request attributes (the first call's only)."""
        if self.attributes is not None:
            return
        attributes = attributes_of(request, self.policy)
        if extra:
            attributes.update(extra)
        bound_messages(attributes, semconv.LLM_INPUT_MESSAGES, room_on(self.span, FINISH_RESERVE))
        request_genai(attributes, self.policy)
        self.attributes = attributes
        global calls_started
        calls_started += 1


def _record_error(span: Any, error: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.record_exception(error, escaped=True)
    span.set_attribute(semconv.ERROR_TYPE, type(error).__qualname__)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:1000]))


def start_call(name: str, attributes_of: Any, request: Any, extra: dict[str, Any] | None = None) -> LLMCall | None:
    """Start the span for one call, or return None when it must not be traced.

    ``attributes_of(request, policy)`` returns the start attributes (the span kind among them,
    so processors see it at start); it runs only when tracing is on; ``extra`` attributes (where
    the call goes) are added to them, replacing what the request said. Returns None when
    neatlogs is not enabled, instrumentation is suppressed, the call is made inside another
    traced call (that one's span already stands for it; a framework's model-call span takes
    the request's attributes, :class:`FrameworkModelCall`), or anything fails.
    """
    tracer = tracing.get_tracer()
    if tracer is None:
        return None
    try:
        context, _trace, client_kind, _ok, suppress_key, in_call = _otel or _otel_parts()
        if context.get_value(suppress_key):
            return None
        running = context.get_value(in_call)
        if running is not None:
            if type(running) is FrameworkModelCall:
                running.absorb(attributes_of, request, extra)
            return None
        call = LLMCall(None, _content.current())
        attributes = attributes_of(request, call.policy)
        if extra:
            attributes.update(extra)
        # Only the kind (and a conversation the program named) go through start_span: processors
        # read them at start, and a conversation id makes the call's session. The rest is set
        # right after, before the request is sent, without the SDK re-checking each value.
        kind = {semconv.OPENINFERENCE_SPAN_KIND: attributes[semconv.OPENINFERENCE_SPAN_KIND]}
        conversation = attributes.get(semconv.GEN_AI_CONVERSATION_ID)
        if conversation is not None:
            kind[semconv.GEN_AI_CONVERSATION_ID] = conversation
        # Under a framework's model call (LangChain's), its span is the parent: one model call, nested.
        call.span = span = tracer.start_span(name, context=_framework_runs.parent_context(), kind=client_kind,
                                             attributes=kind)
        # A huge request must not evict what was stamped first (kind, session, user): cut its messages.
        bound_messages(attributes, semconv.LLM_INPUT_MESSAGES, room_on(span, FINISH_RESERVE))
        request_genai(attributes, call.policy)  # the GenAI JSON of the messages as kept
        set_clean_attributes(span, attributes)
        global calls_started
        calls_started += 1
        return call
    except Exception:
        _log.internal_error("starting the LLM span failed")
        return None
