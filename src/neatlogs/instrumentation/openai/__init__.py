"""OpenAI instrumentation: every chat, responses and embeddings call becomes one LLM span.

``instrument(openai)`` is called when the program imports ``openai``. It stays light: the
client loads its resource modules lazily, so we hook *their* import too and patch each
resource class the moment it exists (``Completions.create`` / ``parse``, ``Responses.create``
/ ``parse``, ``Embeddings.create`` and their async twins). Nothing here imports wrapt or
OpenTelemetry; that happens on the first traced call. Works with the 1.x line and later.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any


__all__ = ["instrument", "uninstrument"]

_TARGETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (module hooked, operation, classes); each class gets its create and parse patched
    ("openai.resources.chat.completions", "chat", ("Completions", "AsyncCompletions")),
    ("openai.resources.beta.chat.completions", "chat", ("Completions", "AsyncCompletions")),  # 1.x parse
    ("openai.resources.responses", "responses", ("Responses", "AsyncResponses")),
    ("openai.resources.embeddings", "embeddings", ("Embeddings", "AsyncEmbeddings")),
)
_METHODS = ("create", "parse")

_active = False
_raw_header = "X-Stainless-Raw-Response"


def _handler(operation: str) -> Any:
    from ._patching import CallHandler

    if operation == "chat":
        from ._accumulate import ChatStreamAccumulator
        from ._extract import chat_request, chat_response

        return CallHandler("chat", chat_request, chat_response, ChatStreamAccumulator, _raw_header)
    if operation == "responses":
        from ._accumulate import ResponsesStreamAccumulator
        from ._extract import responses_request, responses_response

        return CallHandler("responses", responses_request, responses_response, ResponsesStreamAccumulator, _raw_header)
    from ._extract import embeddings_request, embeddings_response

    return CallHandler("embeddings", embeddings_request, embeddings_response, None, _raw_header)


class _LazyHandler:
    """Builds the real handler on the first call, so patching imports no extraction code."""

    __slots__ = ("operation", "_handler")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self._handler: Any = None

    def _get(self) -> Any:
        if self._handler is None:
            self._handler = _handler(self.operation)
        return self._handler

    def begin(self, kwargs: dict) -> Any:
        return self._get().begin(kwargs)

    def end(self, call: Any, kwargs: dict, result: Any, is_async: bool) -> Any:
        return self._get().end(call, kwargs, result, is_async)


def _patch_module(module: Any, operation: str, class_names: tuple[str, ...]) -> None:
    if not _active:
        return  # uninstrumented before the client loaded this resource
    from ._patching import patch_classes

    patch_classes(module, class_names, _METHODS, _LazyHandler(operation))


def instrument(module: Any) -> None:
    """Patch the ``openai`` client's resource classes, now or as the client loads them; idempotent."""
    global _active, _raw_header
    from ..._import_hooks import when_imported

    constants = getattr(module, "_constants", None)
    _raw_header = getattr(constants, "RAW_RESPONSE_HEADER", _raw_header)
    _active = True
    for module_name, operation, class_names in _TARGETS:
        when_imported(
            module_name,
            lambda loaded, operation=operation, class_names=class_names: _patch_module(loaded, operation, class_names),
        )


def uninstrument() -> None:
    """Restore the original methods; calls are no longer traced."""
    global _active
    _active = False
    from ._patching import unpatch_all

    unpatch_all("openai")
