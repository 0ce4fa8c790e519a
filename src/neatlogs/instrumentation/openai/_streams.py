"""Stream proxies: the program keeps its stream, and the LLM span ends exactly once.

``StreamProxy`` / ``AsyncStreamProxy`` wrap the client's stream (``wrapt.ObjectProxy``, so
unknown attributes, ``.response`` and ``isinstance`` checks pass through). Every exit path
goes through ``_finish``: exhaustion, an error mid-stream, ``close()``/``aclose()``, leaving
``with``/``async with``, cancellation, and garbage collection of an unfinished stream
(``weakref.finalize``; the span is then marked incomplete), and closing its ``.response``
(what the client's ``.stream()`` helpers do on leaving ``with``). No OpenTelemetry context is
attached while the program iterates, so nothing is held across its ``yield``s.

``RawResponseProxy`` wraps what ``with_raw_response`` / ``with_streaming_response`` return
when the body is not read yet: the call is recorded when the program calls ``.parse()``.
"""

from __future__ import annotations

import weakref

import wrapt

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log

__all__ = ["AsyncRawResponseProxy", "AsyncStreamProxy", "RawResponseProxy", "StreamProxy", "finish_stream"]


def _is_interruption(error: BaseException) -> bool:
    """Cancellation and generator shutdown end a stream early; they are not API errors."""
    return isinstance(error, GeneratorExit) or type(error).__name__ == "CancelledError"


def finish_stream(call: Any, accumulator: Any, error: BaseException | None = None, incomplete: bool = False) -> None:
    """End ``call``'s span with what ``accumulator`` saw; never raises."""
    if call.finished:
        return
    try:
        attributes = accumulator.attributes(call)
    except Exception:
        _log.debug("summarising the stream failed", exc_info=True)
        attributes = None
    if error is not None and _is_interruption(error):
        error, incomplete = None, True
    call.finish(attributes, error=error, incomplete=incomplete)


def _abandoned(call: Any, accumulator: Any) -> None:
    # weakref.finalize callback: holds no reference to the proxy, only to the span state.
    finish_stream(call, accumulator, incomplete=True)


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


class _StreamBase(wrapt.ObjectProxy):
    def __init__(self, stream: Any, call: Any, accumulator: Any) -> None:
        super().__init__(stream)
        self._self_call = call
        self._self_accumulator = accumulator
        self._self_finalizer = weakref.finalize(self, _abandoned, call, accumulator)

    def _self_finish(self, error: BaseException | None = None, incomplete: bool = False) -> None:
        self._self_finalizer.detach()
        finish_stream(self._self_call, self._self_accumulator, error, incomplete)

    @property
    def response(self) -> Any:
        """The client's HTTP response, whose ``close()``/``aclose()`` also end the span."""
        call, accumulator = self._self_call, self._self_accumulator
        finalizer = self._self_finalizer

        def on_close() -> None:
            finalizer.detach()
            finish_stream(call, accumulator, incomplete=True)

        return _ClosingResponse(self.__wrapped__.response, on_close)

    def _self_feed(self, item: Any) -> None:
        call = self._self_call
        if call.first_chunk_ns is None:
            call.mark_first_chunk()
        try:
            self._self_accumulator.feed(item)
        except Exception:
            _log.debug("accumulating a stream chunk failed", exc_info=True)


class StreamProxy(_StreamBase):
    """A sync stream that behaves as the client's, and ends its LLM span on every exit path."""

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            item = self.__wrapped__.__next__()
        except StopIteration:
            self._self_finish()
            raise
        except BaseException as error:
            self._self_finish(error)
            raise
        self._self_feed(item)
        return item

    def __enter__(self) -> StreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, traceback)
        finally:
            self._self_finish(exc, incomplete=True)

    def close(self) -> None:
        """Close the underlying stream, then end the span (incomplete unless it was exhausted)."""
        try:
            self.__wrapped__.close()
        finally:
            self._self_finish(incomplete=True)


class AsyncStreamProxy(_StreamBase):
    """The async twin of :class:`StreamProxy`."""

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_finish()
            raise
        except BaseException as error:
            self._self_finish(error)
            raise
        self._self_feed(item)
        return item

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, traceback)
        finally:
            self._self_finish(exc, incomplete=True)

    async def close(self) -> None:
        """Close the underlying stream, then end the span (incomplete unless it was exhausted)."""
        try:
            await self.__wrapped__.close()
        finally:
            self._self_finish(incomplete=True)

    async def aclose(self) -> None:
        """Alias of :meth:`close`, as the client has it."""
        await self.close()


class _NoAccumulator:
    """Stands in for an accumulator when a raw response is closed before it was parsed."""

    def attributes(self, call: Any) -> None:
        return None


class _RawBase(wrapt.ObjectProxy):
    def __init__(self, raw: Any, call: Any, on_parsed: Callable[[Any, Any], Any]) -> None:
        super().__init__(raw)
        self._self_call = call
        self._self_on_parsed = on_parsed  # (parsed, call) -> what the program gets back
        self._self_parsed: Any = None
        self._self_result: Any = None
        self._self_finalizer = weakref.finalize(self, _abandoned, call, _NoAccumulator())

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
