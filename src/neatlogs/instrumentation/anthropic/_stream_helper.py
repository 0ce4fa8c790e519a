"""``messages.stream()``: the client's streaming helper, traced as one LLM span like ``create(stream=True)``.

The helper does not go through ``create``: it returns a manager that sends the request only
when its ``with`` block is entered. We wrap the request the manager holds, so the span starts
when the request is sent, and the raw event stream the helper reads is our stream proxy: the
span ends when the events are read to the end, when the helper closes the stream (leaving
``with``, or ``get_final_message()`` done), or when it is dropped. The manager keeps the
request in a private attribute; if a client release renames it, calls stay untraced rather
than broken (``tests/instrumentation/test_anthropic.py`` notices).
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log
from .._llm.patching import traced_wrapper

__all__ = ["wrap_stream_helper"]

_REQUEST_ATTRIBUTE = "__api_request"
"""Where the stream managers (``MessageStreamManager``, ``BetaMessageStreamManager`` and their async twins)
keep the request they will send: a private attribute, so its name is mangled with the defining class's."""


def wrap_stream_helper(original: Callable[..., Any], operation: Any, is_async: bool) -> Callable[..., Any]:
    """A ``Messages.stream`` / ``AsyncMessages.stream`` whose manager sends its request inside an LLM span."""

    @functools.wraps(original)
    def stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        try:
            _trace_request(manager, operation, is_async, {**kwargs, "stream": True})
        except Exception:
            _log.debug("tracing messages.stream() failed; the call goes untraced", exc_info=True)
        return manager

    return stream


def _trace_request(manager: Any, operation: Any, is_async: bool, kwargs: dict[str, Any]) -> None:
    attribute = next(name for name in (f"_{cls.__name__}{_REQUEST_ATTRIBUTE}" for cls in type(manager).__mro__)
                     if hasattr(manager, name))
    request = getattr(manager, attribute)
    # The request is a zero-argument callable (sync) or an awaitable (async); the traced
    # wrapper takes the call's keyword arguments, as a client method would, and ignores them.
    send = traced_wrapper(lambda _client, **_kwargs: request if is_async else request(), operation, is_async)
    if is_async:
        setattr(manager, attribute, send(None, **kwargs))  # an awaitable, as the manager expects
    else:
        setattr(manager, attribute, lambda: send(None, **kwargs))
