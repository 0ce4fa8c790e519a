"""Stream proxies: the program keeps its stream, and the LLM span ends exactly once.

``StreamProxy`` / ``AsyncStreamProxy`` wrap the client's stream (``wrapt.ObjectProxy``, so
unknown attributes and ``isinstance`` checks pass through) and feed every item to the
operation's accumulator. Every exit path goes through ``_self_finish``: exhaustion, an
error mid-stream, ``close()``/``aclose()``, leaving ``with``/``async with``, cancellation,
and garbage collection of an unfinished stream (``weakref.finalize``; the span is then
marked incomplete). No OpenTelemetry context is attached while the program iterates, so
nothing is held across its ``yield``s.
"""

from __future__ import annotations

import weakref

import wrapt

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import _log

__all__ = ["AsyncStreamProxy", "StreamProxy", "finish_stream"]


def _is_interruption(error: BaseException) -> bool:
    """Cancellation and generator shutdown end a stream early; they are not API errors."""
    return isinstance(error, GeneratorExit) or type(error).__name__ == "CancelledError"


def finish_stream(call: Any, accumulator: Any, error: BaseException | None = None, incomplete: bool = False) -> None:
    """End ``call``'s span with what ``accumulator`` saw; never raises."""
    if call.finished:
        return
    try:
        attributes = accumulator.attributes(call.policy)
    except Exception:
        _log.internal_error("summarising the stream failed")
        attributes = None
    if error is not None and _is_interruption(error):
        error, incomplete = None, True
    call.finish(attributes, error=error, incomplete=incomplete)


def _abandoned(call: Any, accumulator: Any) -> None:
    # weakref.finalize callback: holds no reference to the proxy, only to the span state.
    finish_stream(call, accumulator, incomplete=True)


class _StreamBase(wrapt.ObjectProxy):
    def __init__(self, stream: Any, call: Any, accumulator: Any) -> None:
        super().__init__(stream)
        self._self_call = call
        self._self_accumulator = accumulator
        self._self_finalizer = weakref.finalize(self, _abandoned, call, accumulator)

    def _self_finish(self, error: BaseException | None = None, incomplete: bool = False) -> None:
        self._self_finalizer.detach()
        finish_stream(self._self_call, self._self_accumulator, error, incomplete)

    def _self_feed(self, item: Any) -> None:
        call = self._self_call
        if call.first_chunk_ns is None:
            call.mark_first_chunk()
        try:
            self._self_accumulator.feed(item)
        except Exception:
            _log.internal_error("accumulating a stream chunk failed")


class StreamProxy(_StreamBase):
    """A sync stream that behaves as the client's, and ends its LLM span on every exit path."""

    def __init__(self, stream: Any, call: Any, accumulator: Any) -> None:
        super().__init__(stream, call, accumulator)
        # Most clients' streams are their own iterators; some are only iterable (botocore's
        # EventStream has __iter__, a generator, and no __next__): iterate what iter() gives.
        self._self_next = getattr(stream, "__next__", None) or iter(stream).__next__

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            item = self._self_next()
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
        import inspect  # loaded by every async client already; not at our import

        inner = self.__wrapped__
        try:
            # A client's stream object has an async close(); an async generator has only aclose(),
            # and some streams (litellm's) both a sync close() and an async aclose().
            closer = getattr(inner, "close", None)
            if closer is None or (not inspect.iscoroutinefunction(closer) and hasattr(inner, "aclose")):
                closer = inner.aclose
            result = closer()
            if inspect.isawaitable(result):
                await result
        finally:
            self._self_finish(incomplete=True)

    async def aclose(self) -> None:
        """Alias of :meth:`close`: clients' streams call it close(), async generators aclose()."""
        await self.close()
