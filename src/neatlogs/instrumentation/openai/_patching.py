"""Patch client resource classes so each call makes one LLM span; idempotent and undoable.

We replace methods on the resource *classes* (``Completions.create`` and friends), so
clients made before ``init()`` are traced too. A patched method carries
``__neatlogs_original__``; patching it again is a no-op, so ``init()`` twice or
``instrument()`` twice still gives one span per call. Provider modules describe each
method with a :class:`CallHandler`: how to name the span, which request and response
attributes to record, and which accumulator follows its streams.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log
from ._call import start_call

__all__ = ["CallHandler", "patch_classes", "patch_method", "traced_wrapper", "unpatch_all"]

_ORIGINAL = "__neatlogs_original__"
_patched: list[tuple[type, str]] = []


class CallHandler:
    """How one client method is traced.

    Args:
        operation: first word of the span name (``chat``, ``responses``, ``embeddings``).
        request: ``(kwargs, call) -> start attributes``.
        response: ``(result, call) -> final attributes`` of a plain (non-streamed) result.
        accumulator: zero-argument factory of the accumulator that follows a stream.
        raw_header: the header the client's ``with_raw_response`` sets (value ``true`` when
            the body is read, ``stream`` when ``with_streaming_response`` leaves it unread).
    """

    __slots__ = ("operation", "request", "response", "accumulator", "raw_header")

    def __init__(
        self,
        operation: str,
        request: Callable[[dict, Any], dict],
        response: Callable[[Any, Any], dict],
        accumulator: Callable[[], Any] | None,
        raw_header: str,
    ) -> None:
        self.operation = operation
        self.request = request
        self.response = response
        self.accumulator = accumulator
        self.raw_header = raw_header

    def begin(self, kwargs: dict[str, Any]) -> Any:
        """Start the span for a call with these keyword arguments (None: call untraced)."""
        model = kwargs.get("model")
        name = f"{self.operation} {model}" if isinstance(model, str) and model else self.operation
        return start_call(name, self.request, kwargs)

    def end(self, call: Any, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
        """Record ``result`` (or hand the program a proxy that will); returns what the program gets."""
        try:
            streaming = kwargs.get("stream") is True and self.accumulator is not None
            headers = kwargs.get("extra_headers")
            raw = headers.get(self.raw_header) if isinstance(headers, dict) else None
            if raw == "true" and not streaming:
                # with_raw_response: the body is read; parse() caches, so the program's own
                # parse() returns this same object.
                call.finish(self.response(result.parse(), call))
                return result
            if raw is not None:
                return self._raw_proxy(call, result, streaming, is_async)
            return self._record(call, result, streaming, is_async)
        except Exception:
            _log.debug("recording the %s result failed", self.operation, exc_info=True)
            call.finish()
        return result

    def _record(self, call: Any, value: Any, streaming: bool, is_async: bool) -> Any:
        """A stream proxy that will record the stream, or ``value`` itself once its attributes are on the span."""
        if streaming:
            from ._streams import AsyncStreamProxy, StreamProxy

            return (AsyncStreamProxy if is_async else StreamProxy)(value, call, self.accumulator())
        call.finish(self.response(value, call))
        return value

    def _raw_proxy(self, call: Any, raw: Any, streaming: bool, is_async: bool) -> Any:
        import inspect

        from ._streams import AsyncRawResponseProxy, RawResponseProxy

        def on_parsed(parsed: Any, call: Any) -> Any:
            try:
                return self._record(call, parsed, streaming, is_async)
            except Exception:
                _log.debug("recording the parsed %s result failed", self.operation, exc_info=True)
                call.finish()
            return parsed

        awaitable = inspect.iscoroutinefunction(getattr(type(raw), "parse", None))
        return (AsyncRawResponseProxy if awaitable else RawResponseProxy)(raw, call, on_parsed)


def _sync_wrapper(original: Callable, handler: CallHandler) -> Callable:
    @functools.wraps(original)
    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = handler.begin(kwargs)
        if call is None:
            return original(self, *args, **kwargs)
        token = call.attach()
        try:
            result = original(self, *args, **kwargs)
        except BaseException as error:
            call.detach(token)
            call.finish(error=error)
            raise
        call.detach(token)
        return handler.end(call, kwargs, result, False)

    return traced


def _async_wrapper(original: Callable, handler: CallHandler) -> Callable:
    @functools.wraps(original)
    async def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = handler.begin(kwargs)
        if call is None:
            return await original(self, *args, **kwargs)
        # Attached and detached in this one coroutine frame, never across a yield to the caller.
        token = call.attach()
        try:
            result = await original(self, *args, **kwargs)
        except BaseException as error:
            call.detach(token)
            call.finish(error=error)
            raise
        call.detach(token)
        return handler.end(call, kwargs, result, True)

    return traced


def traced_wrapper(original: Callable, handler: CallHandler, is_async: bool) -> Callable:
    """``original`` (a client method, or any callable taking the call's keyword arguments) traced by ``handler``."""
    return (_async_wrapper if is_async else _sync_wrapper)(original, handler)


def patch_method(
    cls: type, name: str, handler: CallHandler, is_async: bool, wrap: Callable | None = None
) -> bool:
    """Replace ``cls.name`` with a traced wrapper; False (and no change) if already patched or absent.

    ``wrap(original, handler, is_async)`` builds the wrapper; by default :func:`traced_wrapper`.
    """
    current = cls.__dict__.get(name)
    if current is None or getattr(current, _ORIGINAL, None) is not None:
        return False
    wrapper = (wrap or traced_wrapper)(current, handler, is_async)
    setattr(wrapper, _ORIGINAL, current)
    setattr(cls, name, wrapper)
    _patched.append((cls, name))
    return True


def patch_classes(module: Any, class_names: tuple[str, ...], methods: tuple[str, ...], handler: CallHandler) -> None:
    """Patch ``methods`` of each class of ``module`` named in ``class_names`` (``Async*`` ones as async)."""
    for class_name in class_names:
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            continue
        for method in methods:
            try:
                patch_method(cls, method, handler, is_async=class_name.startswith("Async"))
            except Exception:
                _log.debug("patching %s.%s failed", class_name, method, exc_info=True)


def unpatch_all(owner: str | None = None) -> None:
    """Restore every method patched here (only those of classes in module ``owner``'s package, if given)."""
    keep = []
    for cls, name in _patched:
        module = cls.__module__
        if owner is not None and module != owner and not module.startswith(owner + "."):
            keep.append((cls, name))
            continue
        current = cls.__dict__.get(name)
        original = getattr(current, _ORIGINAL, None)
        if original is not None:
            try:
                setattr(cls, name, original)
            except Exception:
                _log.debug("restoring %s.%s failed", cls.__name__, name, exc_info=True)
    _patched[:] = keep
