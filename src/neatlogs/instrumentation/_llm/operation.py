"""How one client method is traced: start its span from the request, end it from the result or stream.

An :class:`LLMOperation` is the provider-neutral half of a patched method. A provider gives
it three functions (what a request records, what a result records, and the accumulator
that follows a stream) and says which calls stream; the operation does the rest: names
the span, starts it before the request is sent, and either records the result at once or
hands the program a stream proxy that records it when the stream ends.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable, Protocol

    from ..._content import ContentPolicy
    from .call import LLMCall

    class StreamAccumulator(Protocol):
        """Follows one stream: fed every item the program receives, summarised once at the end."""

        def feed(self, item: Any) -> None:
            """Take one chunk or event as the program received it; must be cheap and may raise (logged)."""

        def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
            """The span's final attributes for what was received so far."""

    RequestAttributes = Callable[[dict[str, Any], ContentPolicy], dict[str, Any]]
    ResultAttributes = Callable[[Any, ContentPolicy], dict[str, Any]]

from ... import _log
from ...compat import workflow_attributes
from .attributes import span_name
from .call import start_call

__all__ = ["LLMOperation", "LazyOperation"]


class LLMOperation:
    """How one client method is traced.

    Args:
        operation: first word of the span name and ``gen_ai.operation.name`` (``chat``, ``embeddings``).
        request: ``(kwargs, policy) -> start attributes``, the span kind among them; it may
            replace a one-shot iterable in ``kwargs`` by a list, which the client then sends.
        response: ``(result, policy) -> final attributes`` of a result that is not a stream.
        accumulator: zero-argument factory of the :class:`StreamAccumulator` that follows a stream.
        streams: ``(kwargs) -> bool``, True when this call returns a stream; by default a call
            streams exactly when there is an accumulator (a method that always streams).
        endpoint: ``(instance) -> attributes`` saying where the call goes (provider, server
            address), from the object whose method was called; added to the start attributes.
    """

    __slots__ = ("operation", "request", "response", "accumulator", "streams", "endpoint")

    def __init__(
        self,
        operation: str,
        request: RequestAttributes,
        response: ResultAttributes,
        accumulator: Callable[[], StreamAccumulator] | None = None,
        streams: Callable[[dict[str, Any]], bool] | None = None,
        endpoint: Callable[[Any], dict[str, Any]] | None = None,
    ) -> None:
        self.operation = operation
        self.request = request
        self.response = response
        self.accumulator = accumulator
        self.streams = streams
        self.endpoint = endpoint

    def is_streaming(self, kwargs: dict[str, Any]) -> bool:
        """True when the call with these keyword arguments returns a stream."""
        if self.accumulator is None:
            return False
        return self.streams(kwargs) if self.streams is not None else True

    def begin(self, kwargs: dict[str, Any], instance: Any = None) -> LLMCall | None:
        """Start the span for a call with these keyword arguments (None: call untraced).

        ``instance`` is the object whose method was called (the client's resource), when known.
        """
        endpoint = self.endpoint
        where = endpoint(instance) if endpoint is not None and instance is not None else None
        if instance is not None:
            stamped = workflow_attributes(instance)
            if stamped is not None:
                where = {**(where or {}), **stamped}
        return start_call(self.span_name(kwargs), self.request, kwargs, where)

    def span_name(self, kwargs: dict[str, Any]) -> str:
        """The span's name: the operation and the model asked for (``chat gpt-4o``)."""
        return span_name(self.operation, kwargs.get("model"))

    def end(self, call: LLMCall, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
        """Record ``result`` (or hand the program a proxy that will); returns what the program gets."""
        try:
            return self.record(call, result, self.is_streaming(kwargs), is_async)
        except Exception:
            _log.internal_error("recording the %s result failed", self.operation)
            call.finish()
        return result

    def record(self, call: LLMCall, value: Any, streaming: bool, is_async: bool) -> Any:
        """A stream proxy that will record the stream, or ``value`` itself once its attributes are on the span."""
        if streaming:
            return self.stream_proxy(call, value, is_async)
        call.finish(self.response(value, call.policy))
        return value

    def stream_proxy(self, call: LLMCall, stream: Any, is_async: bool) -> Any:
        """The proxy the program iterates instead of ``stream``."""
        from .streams import AsyncStreamProxy, StreamProxy

        assert self.accumulator is not None
        return (AsyncStreamProxy if is_async else StreamProxy)(stream, call, self.accumulator())


class LazyOperation:
    """Stands in for an operation until its first call, so patching a client imports no extraction code."""

    __slots__ = ("_build", "_operation")

    def __init__(self, build: Callable[[], LLMOperation]) -> None:
        self._build = build
        self._operation: LLMOperation | None = None

    def get(self) -> LLMOperation:
        """The real operation, built on first use."""
        operation = self._operation
        if operation is None:
            operation = self._operation = self._build()
        return operation

    def begin(self, kwargs: dict[str, Any], instance: Any = None) -> LLMCall | None:
        """As :meth:`LLMOperation.begin`."""
        return self.get().begin(kwargs, instance)

    def end(self, call: LLMCall, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
        """As :meth:`LLMOperation.end`."""
        return self.get().end(call, kwargs, result, is_async)
