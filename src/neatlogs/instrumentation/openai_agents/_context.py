"""While an Agents SDK span is current, its OpenTelemetry span is current too.

The SDK keeps its current trace and span in contextvars, set and reset only through the
``Scope`` class (``agents/tracing/scope.py``: ``set_current_span`` returns the token that
``reset_current_span`` takes back, from ``Span.start(mark_as_current=True)`` /
``finish(reset_current=True)`` and ``with span:``;
https://github.com/openai/openai-agents-python/blob/main/src/agents/tracing/scope.py).
We wrap those four class methods: when the SDK makes one of its spans current, the
OpenTelemetry context our processor keeps for it is attached beside it (the span it made
for it, current), and detached when the SDK resets the same token. So a program's ``@span``
tool, or any OpenTelemetry-instrumented library called inside a tool, start as children of
the Agents SDK span that ran them, not as separate traces; and the openai client call the
SDK's model makes adds its request to the SDK's model-call span (its context says so).

Our context lives exactly as long as the SDK's own. When the SDK resets its token from a
context that did not set it (an abandoned async generator finalised elsewhere, which the
SDK tolerates), its reset raises ``ValueError`` and we leave ours alone too: detaching it
there would only fail ("Failed to detach context").
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

import threading

from ... import _log

__all__ = ["install", "uninstall"]

_MAX_PENDING = 4096
"""Attached contexts remembered at once; beyond it the oldest is forgotten (never detached late)."""

_pending: dict[int, tuple[Any, Any]] = {}
"""id(SDK token) -> (SDK token, our OpenTelemetry token); the SDK token is kept so its id stays unique."""
_lock = threading.Lock()
_originals: dict[str, Any] = {}


def _wrap_set(original: Callable[[Any], Any], lookup: Callable[[Any], Any]) -> Callable[..., Any]:
    def set_current(cls: Any, item: Any) -> Any:
        token = original(item)
        if item is None:
            return token
        try:
            otel_context = lookup(item)
            if otel_context is not None:
                from opentelemetry import context

                otel_token = context.attach(otel_context)
                with _lock:
                    if len(_pending) >= _MAX_PENDING:
                        _pending.pop(next(iter(_pending)))
                    _pending[id(token)] = (token, otel_token)
        except Exception:
            _log.internal_error("making the Agents SDK span's context current failed")
        return token

    return set_current


def _wrap_reset(original: Callable[[Any], Any]) -> Callable[..., Any]:
    def reset_current(cls: Any, token: Any) -> None:
        with _lock:
            entry = _pending.pop(id(token), None)
        original(token)  # a ValueError (a foreign context) goes to the SDK, which expects it
        if entry is None or entry[0] is not token:
            return
        try:
            from opentelemetry import context

            context.detach(entry[1])
        except Exception:
            _log.internal_error("leaving the Agents SDK span's context failed")

    return reset_current


def install(scope_class: Any, span_lookup: Callable[[Any], Any], trace_lookup: Callable[[Any], Any]) -> None:
    """Wrap ``Scope``'s set/reset class methods once; ``*_lookup`` give the OTel context of an SDK span/trace."""
    if _originals:
        return
    names = ("set_current_span", "reset_current_span", "set_current_trace", "reset_current_trace")
    originals = {name: getattr(scope_class, name) for name in names}  # bound class methods
    if not all(callable(method) for method in originals.values()):
        _log.debug("the Agents SDK's Scope has changed shape; its spans are not made current")
        return
    _originals.update(originals)
    _originals["__class__"] = scope_class
    scope_class.set_current_span = classmethod(_wrap_set(originals["set_current_span"], span_lookup))
    scope_class.reset_current_span = classmethod(_wrap_reset(originals["reset_current_span"]))
    scope_class.set_current_trace = classmethod(_wrap_set(originals["set_current_trace"], trace_lookup))
    scope_class.reset_current_trace = classmethod(_wrap_reset(originals["reset_current_trace"]))


def uninstall() -> None:
    """Put ``Scope``'s own methods back; contexts still attached stay until their task's context goes."""
    scope_class = _originals.pop("__class__", None)
    if scope_class is None:
        return
    for name, method in _originals.items():
        setattr(scope_class, name, classmethod(method.__func__))
    _originals.clear()
    with _lock:
        _pending.clear()
