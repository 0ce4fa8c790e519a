"""google-genai instrumentation: ``models.generate_content`` (plain and streamed) and ``embed_content``, one span each.

Sync and async (``client.aio.models``), Gemini API and Vertex AI modes. Chats
(``client.chats.create(...).send_message`` / ``send_message_stream``) send every turn
through ``Models.generate_content`` / ``generate_content_stream`` with the chat's history
plus the new message as ``contents``, so each turn is traced here as one span carrying
that history; the chat classes are not patched (a second span would only repeat it).
``generate_content`` with automatic function calling is one span for the whole call, as
the program sees it; a chat with automatic function calling sends each round trip
through ``generate_content`` itself, so each is a span of its own.

The provider name depends on the client's mode, which lives on the ``Models`` instance,
not in the call's arguments: the wrapper passes it to the request extractor as a private
keyword argument that the client never sees.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget, traced_wrapper

__all__ = ["instrument", "uninstrument"]

MODE_ARGUMENT = "_neatlogs_vertexai"
"""The keyword argument that tells the request extractor the client's mode (True: Vertex AI)."""


def _is_vertex(models: Any) -> bool:
    # Models/AsyncModels are BaseModules, whose ``vertexai`` property is their API client's mode:
    # https://github.com/googleapis/python-genai/blob/main/google/genai/_api_module.py
    return getattr(models, "vertexai", None) is True


def wrap_with_mode(original: Callable[..., Any], operation: Any, is_async: bool) -> Callable[..., Any]:
    """A traced ``original`` whose request extractor also learns the client's mode."""

    def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop(MODE_ARGUMENT, None)
        return original(self, *args, **kwargs)

    traced = traced_wrapper(send, operation, is_async)
    if is_async:

        @functools.wraps(original)
        async def async_method(self: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs[MODE_ARGUMENT] = _is_vertex(self)
            return await traced(self, *args, **kwargs)

        return async_method

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs[MODE_ARGUMENT] = _is_vertex(self)
        return traced(self, *args, **kwargs)

    return method


_MODULE = "google.genai.models"
_CLASSES = ("Models", "AsyncModels")
TARGETS = (
    PatchTarget(_MODULE, _CLASSES, ("generate_content",), "generate_content", wrap_with_mode),
    PatchTarget(_MODULE, _CLASSES, ("generate_content_stream",), "generate_content_stream", wrap_with_mode),
    PatchTarget(_MODULE, _CLASSES, ("embed_content",), "embeddings", wrap_with_mode),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.operation import LLMOperation
    from . import _extract

    if name == "generate_content":
        return LLMOperation("generate_content", _extract.generate_request, _extract.generate_response)
    if name == "generate_content_stream":  # the same operation, whose result is always a stream
        return LLMOperation(
            "generate_content", _extract.generate_request, _extract.generate_response,
            _extract.GenerateStreamAccumulator,
        )
    return LLMOperation("embeddings", _extract.embed_request, _extract.embed_response)


_instrumentor = ClientInstrumentor("google.genai", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
