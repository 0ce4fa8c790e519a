"""Anthropic instrumentation: ``messages.create`` (sync, async, streamed), ``parse`` and the ``stream()`` helper, one span each.

Built on the OpenAI instrumentation's machinery (patching, stream proxies, span
lifecycle); only the request, response and stream extraction are Anthropic's own.
``instrument()`` hooks the import of the client's messages resource and patches it then.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any


__all__ = ["instrument", "uninstrument"]

_MODULE = "anthropic.resources.messages"
_CLASSES = ("Messages", "AsyncMessages")
_METHODS = ("create", "parse")
_active = False
_raw_header = "X-Stainless-Raw-Response"


class _LazyHandler:
    """Builds the real handler on the first call, so patching imports no extraction code."""

    __slots__ = ("_handler",)

    def __init__(self) -> None:
        self._handler: Any = None

    def _get(self) -> Any:
        if self._handler is None:
            from ..openai._patching import CallHandler
            from ._extract import MessagesStreamAccumulator, messages_request, messages_response

            self._handler = CallHandler(
                "chat", messages_request, messages_response, MessagesStreamAccumulator, _raw_header
            )
        return self._handler

    def begin(self, kwargs: dict) -> Any:
        return self._get().begin(kwargs)

    def end(self, call: Any, kwargs: dict, result: Any, is_async: bool) -> Any:
        return self._get().end(call, kwargs, result, is_async)


def _patch(module: Any) -> None:
    if not _active:
        return
    from ..openai._patching import patch_classes, patch_method
    from ._stream_helper import wrap_stream_helper

    handler = _LazyHandler()
    patch_classes(module, _CLASSES, _METHODS, handler)
    for class_name in _CLASSES:
        cls = getattr(module, class_name, None)
        if isinstance(cls, type):
            patch_method(cls, "stream", handler, class_name.startswith("Async"), wrap=wrap_stream_helper)


def instrument(module: Any) -> None:
    """Patch the ``anthropic`` client's messages resource, now or when it loads; idempotent."""
    global _active, _raw_header
    from ..._import_hooks import when_imported

    _raw_header = getattr(getattr(module, "_constants", None), "RAW_RESPONSE_HEADER", _raw_header)
    _active = True
    when_imported(_MODULE, _patch)


def uninstrument() -> None:
    """Restore the original methods."""
    global _active
    _active = False
    from ..openai._patching import unpatch_all

    unpatch_all("anthropic")
