"""The conventions of Stainless-generated clients (openai, anthropic, groq, ...), in one place.

Those clients share a shape that other libraries do not follow:

- ``stream=True`` on the method makes it return a stream;
- ``with_raw_response`` / ``with_streaming_response`` send a header (``X-Stainless-Raw-Response``,
  its name read from the client's ``_constants``) and return a raw response whose ``.parse()``
  gives the result: ``true`` when the body was read, ``stream`` when it was left unread;
- a stream keeps its HTTP response as ``.response``, and the client's ``.stream()`` helpers
  close only that on leaving their ``with``.

:class:`StainlessOperation` is an :class:`~.operation.LLMOperation` that knows these; only
providers of that family use this module. Upstream:
https://github.com/openai/openai-python/blob/main/src/openai/_response.py (``parse``) and
https://github.com/openai/openai-python/blob/main/src/openai/_constants.py (the header).
"""

from __future__ import annotations

import weakref

import wrapt

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .call import LLMCall

from ... import _log
from .operation import LLMOperation
from .streams import AsyncStreamProxy, StreamProxy, finish_stream

__all__ = [
    "AsyncRawResponseProxy",
    "AsyncStainlessStreamProxy",
    "RAW_RESPONSE_HEADER",
    "RawResponseProxy",
    "StainlessOperation",
    "StainlessStreamProxy",
    "client_address",
    "raw_response_header",
]

RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"
"""The header's name in every client release seen so far; :func:`raw_response_header` asks the client."""


def raw_response_header(library: Any) -> str:
    """The raw-response header name the client ``library`` (its top-level module) uses."""
    return getattr(getattr(library, "_constants", None), "RAW_RESPONSE_HEADER", RAW_RESPONSE_HEADER)


def client_address(resource: Any) -> tuple[str, str | None, int | None]:
    """``(client class name, host, port)`` of the client a resource (``client.chat.completions``) belongs to.

    Stainless resources keep their client as ``_client`` and the client its ``base_url``
    (an httpx URL): https://github.com/openai/openai-python/blob/main/src/openai/_resource.py
    """
    client = getattr(resource, "_client", None)
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    port = getattr(url, "port", None)
    if port is None and host:
        port = 443 if getattr(url, "scheme", "https") == "https" else 80
    return type(client).__name__, host or None, port


def stream_argument(kwargs: dict[str, Any]) -> bool:
    """True when the call asked for a stream with ``stream=True``."""
    return kwargs.get("stream") is True


class StainlessOperation(LLMOperation):
    """An operation of a Stainless client: streams on ``stream=True``, raw responses recorded on ``parse()``.

    Args:
        raw_header: the client's raw-response header name (see :func:`raw_response_header`).
        Other arguments as :class:`~.operation.LLMOperation`; ``streams`` defaults to ``stream=True``.
    """

    __slots__ = ("raw_header",)

    def __init__(self, operation: str, request: Any, response: Any, accumulator: Any = None,
                 raw_header: str = RAW_RESPONSE_HEADER, endpoint: Any = None) -> None:
        super().__init__(operation, request, response, accumulator, stream_argument, endpoint)
        self.raw_header = raw_header

    def end(self, call: LLMCall, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
        """Record ``result``, a raw response's parsed body, or hand back a proxy that will."""
        try:
            streaming = self.is_streaming(kwargs)
            headers = kwargs.get("extra_headers")
            raw = headers.get(self.raw_header) if isinstance(headers, dict) else None
            if raw == "true" and not streaming:
                # with_raw_response: the body is read; parse() caches, so the program's own
                # parse() returns this same object.
                call.finish(self.response(result.parse(), call.policy))
                return result
            if raw is not None:
                return self._raw_proxy(call, result, streaming, is_async)
            return self.record(call, result, streaming, is_async)
        except Exception:
            _log.internal_error("recording the %s result failed", self.operation)
            call.finish()
        return result

    def stream_proxy(self, call: LLMCall, stream: Any, is_async: bool) -> Any:
        """A stream proxy whose ``.response`` also ends the span when closed."""
        assert self.accumulator is not None
        return (AsyncStainlessStreamProxy if is_async else StainlessStreamProxy)(stream, call, self.accumulator())

    def _raw_proxy(self, call: LLMCall, raw: Any, streaming: bool, is_async: bool) -> Any:
        import inspect

        def on_parsed(parsed: Any, call: LLMCall) -> Any:
            try:
                return self.record(call, parsed, streaming, is_async)
            except Exception:
                _log.internal_error("recording the parsed %s result failed", self.operation)
                call.finish()
            return parsed

        awaitable = inspect.iscoroutinefunction(getattr(type(raw), "parse", None))
        return (AsyncRawResponseProxy if awaitable else RawResponseProxy)(raw, call, on_parsed)


class _ClosingResponse(wrapt.ObjectProxy):
    """The stream's HTTP response; closing it ends the span too.

    The client's ``.stream()`` helpers keep ``raw_stream.response`` and, on leaving their
    ``with``, close only that: without this the span would wait for garbage collection.
    """

    def __init__(self, response: Any, on_close: Callable[[], None]) -> None:
        super().__init__(response)
        self._self_on_close = on_close

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_on_close()

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_on_close()


class _ClosingResponseMixin:
    """Gives a stream proxy the client's ``.response``, whose closing ends the span too."""

    if TYPE_CHECKING:  # set by the stream proxy this is mixed into
        __wrapped__: Any
        _self_call: LLMCall
        _self_accumulator: Any
        _self_finalizer: weakref.finalize[Any, Any]

    @property
    def response(self) -> Any:
        """The client's HTTP response, whose ``close()``/``aclose()`` also end the span."""
        call, accumulator = self._self_call, self._self_accumulator
        finalizer = self._self_finalizer

        def on_close() -> None:
            finalizer.detach()
            finish_stream(call, accumulator, incomplete=True)

        return _ClosingResponse(self.__wrapped__.response, on_close)



class StainlessStreamProxy(_ClosingResponseMixin, StreamProxy):
    """A sync stream of a Stainless client."""


class AsyncStainlessStreamProxy(_ClosingResponseMixin, AsyncStreamProxy):
    """An async stream of a Stainless client."""


class _NoAccumulator:
    """Stands in for an accumulator when a raw response is closed before it was parsed."""

    def attributes(self, policy: Any) -> None:
        return None


class _RawBase(wrapt.ObjectProxy):
    def __init__(self, raw: Any, call: Any, on_parsed: Callable[[Any, Any], Any]) -> None:
        super().__init__(raw)
        self._self_call = call
        self._self_on_parsed = on_parsed  # (parsed, call) -> what the program gets back
        self._self_parsed: Any = None
        self._self_result: Any = None
        self._self_finalizer = weakref.finalize(self, finish_stream, call, _NoAccumulator(), None, True)

    def _self_take(self, parsed: Any, to: Any) -> Any:
        if to is not None:
            return parsed  # a custom type the program asked for: hand it over untouched
        if parsed is self._self_parsed:
            return self._self_result  # the client caches parse(); so do we
        self._self_finalizer.detach()
        self._self_parsed = parsed
        self._self_result = self._self_on_parsed(parsed, self._self_call)
        return self._self_result

    def _self_closed(self) -> None:
        if self._self_parsed is None:
            self._self_finalizer.detach()
            self._self_call.finish(incomplete=True)


class RawResponseProxy(_RawBase):
    """A raw response whose ``parse()`` result is recorded (a stream comes back proxied)."""

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        """As the client's ``parse()``; the parsed value is recorded on the LLM span."""
        parsed = self.__wrapped__.parse(*args, **kwargs)
        return self._self_take(parsed, kwargs.get("to"))

    def close(self) -> None:
        """Close the response; an unparsed call ends marked incomplete."""
        try:
            self.__wrapped__.close()
        finally:
            self._self_closed()

    def __enter__(self) -> RawResponseProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc)
        finally:
            self._self_closed()


class AsyncRawResponseProxy(_RawBase):
    """The async twin of :class:`RawResponseProxy`, for responses whose ``parse()`` is awaited."""

    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        """As the client's ``await parse()``; the parsed value is recorded on the LLM span."""
        parsed = await self.__wrapped__.parse(*args, **kwargs)
        return self._self_take(parsed, kwargs.get("to"))

    async def close(self) -> None:
        """Close the response; an unparsed call ends marked incomplete."""
        try:
            await self.__wrapped__.close()
        finally:
            self._self_closed()

    async def __aenter__(self) -> AsyncRawResponseProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc)
        finally:
            self._self_closed()
