"""Ollama instrumentation: `chat`, `generate`, `embed`, `embeddings` of `Client` and `AsyncClient`, one span each.

The methods live on ``ollama._client.Client`` / ``AsyncClient``, which we patch. The
module-level functions (``ollama.chat(...)``) are methods of a default client bound when
``ollama`` is imported (https://github.com/ollama/ollama-python/blob/main/ollama/__init__.py):
patching happens as ``ollama._client`` loads, before that binding, so they are traced too;
when the program imported ``ollama`` before ``init()``, they are bound again to the patched
methods (a name the program imported itself, ``from ollama import chat``, keeps the
untraced one). The methods take positional arguments (``chat(model, messages)``), named by
each target. ``stream=True`` returns a generator (an async generator from ``AsyncClient``):
it has no ``with`` block. Extraction is in ``_extract.py``; the engine does the rest.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget

__all__ = ["instrument", "uninstrument"]

_MODULE = "ollama._client"
_CLIENTS = ("Client", "AsyncClient")
TARGETS = (
    PatchTarget(_MODULE, _CLIENTS, ("chat",), "chat", positional=("model", "messages")),
    PatchTarget(_MODULE, _CLIENTS, ("generate",), "generate", positional=("model", "prompt", "suffix")),
    PatchTarget(_MODULE, _CLIENTS, ("embed",), "embed", positional=("model", "input")),
    PatchTarget(_MODULE, _CLIENTS, ("embeddings",), "embeddings", positional=("model", "prompt")),
)
"""Every client method traced, by the module that defines it, with its leading positional parameters."""

_FUNCTIONS = ("chat", "generate", "embed", "embeddings")
"""The module-level functions that are methods of ``ollama``'s default client."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.operation import LLMOperation
    from . import _extract

    streams = _extract.streams
    if name == "chat":
        return LLMOperation("chat", _extract.chat_request, _extract.chat_response, _extract.ChatStreamAccumulator,
                            streams, _extract.endpoint)
    if name == "generate":
        return LLMOperation("text_completion", _extract.generate_request, _extract.generate_response,
                            _extract.GenerateStreamAccumulator, streams, _extract.endpoint)
    if name == "embed":
        return LLMOperation("embeddings", _extract.embed_request, _extract.embed_response,
                            endpoint=_extract.endpoint)
    return LLMOperation("embeddings", _extract.embeddings_request, _extract.embeddings_response,
                        endpoint=_extract.endpoint)


def _rebind_functions() -> None:
    """Bind ``ollama.chat`` & co. again to the default client's current (patched or restored) methods."""
    package = sys.modules.get("ollama")
    client_module = sys.modules.get(_MODULE)
    default = getattr(package, "_client", None)
    client_class = getattr(client_module, "Client", None)
    if not isinstance(client_class, type) or not isinstance(default, client_class):
        return  # ollama is still loading (it binds them itself, after the patch) or is not loaded
    for name in _FUNCTIONS:
        function: Any = getattr(package, name, None)
        if getattr(function, "__self__", None) is default and function.__func__ is not getattr(client_class, name):
            setattr(package, name, getattr(default, name))


_instrumentor = ClientInstrumentor("ollama", TARGETS, _operation)


def instrument(library: Any) -> None:
    """Patch ollama's clients (now, or as ``ollama._client`` loads) and its module-level functions."""
    _instrumentor.instrument(library)
    _rebind_functions()


def uninstrument() -> None:
    """Restore the original methods and module-level functions."""
    _instrumentor.uninstrument()
    _rebind_functions()
