"""The anthropic SDK's own OpenTelemetry tracing, turned off for clients that did not ask for it while we trace.

From the 2.x line the SDK makes a span of its own for every API call (scope
``com.anthropic.sdk.python``, no content) as soon as OpenTelemetry has a global tracer
provider, and then sends that span's trace context in a ``traceparent`` header. Once
neatlogs has set the provider, every traced call would have two spans and every request a
header the program never sent. So, while anthropic is instrumented, a client that was given
no ``open_telemetry=`` option has no SDK tracer: no span, and (the SDK injects the header
only for a call that has a span) no header. A client the program gave its own option keeps
it, whatever it says. Uninstrumenting restores the SDK's behaviour for every client.

The SDK's client (``anthropic/_base_client.py``, v2.15.0):

- ``BaseClient._set_open_telemetry(option)`` resolves the option once per client, the
  constructor and ``copy()`` both call it:
  https://github.com/anthropics/anthropic-sdk-python/blob/v2.15.0/src/anthropic/_base_client.py#L469-L480
- ``BaseClient._tracer`` is the client's tracer, ``None`` when it has no spans:
  https://github.com/anthropics/anthropic-sdk-python/blob/v2.15.0/src/anthropic/_base_client.py#L482-L490
- ``request()`` sends untraced when it is ``None``:
  https://github.com/anthropics/anthropic-sdk-python/blob/v2.15.0/src/anthropic/_base_client.py#L1232-L1233
  (``AsyncAPIClient.request``: L2018), and the header is injected only for a call with a span:
  https://github.com/anthropics/anthropic-sdk-python/blob/v2.15.0/src/anthropic/_base_client.py#L1437-L1455
- ``BaseClient._copy_open_telemetry(option)`` gives a copy its parent's resolved option when
  ``copy()`` / ``with_options()`` is given none:
  https://github.com/anthropics/anthropic-sdk-python/blob/v2.15.0/src/anthropic/_base_client.py#L492-L498
  (called from ``Anthropic.copy``, ``anthropic/_client.py`` L547, and ``lib/_platform_client.py`` L57).

A release without these methods is left as it is (nothing to patch).
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log

__all__ = ["wrap_copy_open_telemetry", "wrap_set_open_telemetry", "wrap_tracer"]

_NO_OPTION = "_neatlogs_no_open_telemetry_option"
"""Instance attribute: True when the client was given no ``open_telemetry`` option (nor its parent, for a copy)."""


def wrap_set_open_telemetry(original: Callable[..., Any], _operation: Any, _is_async: bool) -> Callable[..., Any]:
    """``BaseClient._set_open_telemetry`` that remembers whether the client was given an option."""

    @functools.wraps(original)
    def _set_open_telemetry(self: Any, open_telemetry: Any) -> None:
        original(self, open_telemetry)
        try:
            self.__dict__[_NO_OPTION] = open_telemetry is None
        except Exception:
            _log.internal_error("noting the anthropic client's open_telemetry option failed")

    return _set_open_telemetry


def wrap_copy_open_telemetry(original: Callable[..., Any], _operation: Any, _is_async: bool) -> Callable[..., Any]:
    """``BaseClient._copy_open_telemetry``: a copy of a client given no option is given none either."""

    @functools.wraps(original)
    def _copy_open_telemetry(self: Any, open_telemetry: Any) -> Any:
        if open_telemetry is None and _gave_no_option(self):
            return None  # resolved again from the environment, as the parent's was
        return original(self, open_telemetry)

    return _copy_open_telemetry


class _TracerProperty(property):
    """The patched ``_tracer`` property (a subclass, so the engine can mark it as patched)."""


def wrap_tracer(original: Any, _operation: Any, _is_async: bool) -> Any:
    """``BaseClient._tracer``: ``None`` (no SDK span, no trace header) for a client given no option."""

    def _tracer(self: Any) -> Any:
        if _gave_no_option(self):
            return None
        return original.__get__(self, type(self))

    return _TracerProperty(_tracer, None, None, original.__doc__)


def _gave_no_option(client: Any) -> bool:
    try:
        state = client.__dict__
        no_option = state.get(_NO_OPTION)
        if no_option is None:
            # Made before anthropic was instrumented: it was given no option if it holds what none resolves to.
            from anthropic._tracing import resolve_open_telemetry

            no_option = state[_NO_OPTION] = client._open_telemetry == resolve_open_telemetry(None)
        return bool(no_option)
    except Exception:
        _log.internal_error("reading the anthropic client's open_telemetry option failed")
        return False
