"""Mistral instrumentation: ``chat.complete`` / ``chat.stream``, ``embeddings.create``, sync and async, one span each.

The ``mistralai`` client (Speakeasy-generated, not Stainless) keeps each method's async
twin on the same class (``Chat.complete_async`` beside ``Chat.complete``), so the async
methods are their own targets with an async wrapper. Its ``parse`` helpers call
``complete`` / ``stream`` and so are traced through them. Every method takes keyword
arguments only. Extraction is in ``_extract.py``; the engine (``instrumentation/_llm``)
does the rest.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget, traced_wrapper

__all__ = ["instrument", "uninstrument"]


def _async(original: Callable[..., Any], operation: Any, _is_async: bool) -> Callable[..., Any]:
    # The async twins live on the same class as the sync methods, whose name says nothing.
    return traced_wrapper(original, operation, True)


_CHAT = "mistralai.client.chat"
_EMBEDDINGS = "mistralai.client.embeddings"
_AGENTS = "mistralai.client.agents"
TARGETS = (
    PatchTarget(_CHAT, ("Chat",), ("complete",), "chat"),
    PatchTarget(_CHAT, ("Chat",), ("complete_async",), "chat", _async),
    PatchTarget(_CHAT, ("Chat",), ("stream",), "chat_stream"),
    PatchTarget(_CHAT, ("Chat",), ("stream_async",), "chat_stream", _async),
    PatchTarget(_AGENTS, ("Agents",), ("complete",), "agent"),
    PatchTarget(_AGENTS, ("Agents",), ("complete_async",), "agent", _async),
    PatchTarget(_AGENTS, ("Agents",), ("stream",), "agent_stream"),
    PatchTarget(_AGENTS, ("Agents",), ("stream_async",), "agent_stream", _async),
    PatchTarget(_EMBEDDINGS, ("Embeddings",), ("create",), "embeddings"),
    PatchTarget(_EMBEDDINGS, ("Embeddings",), ("create_async",), "embeddings", _async),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.operation import LLMOperation
    from ._extract import ChatStreamAccumulator, chat_request, chat_response, embeddings_request, embeddings_response

    if name.startswith("agent"):
        stream = ChatStreamAccumulator if name == "agent_stream" else None
        return _agent_operation_class()("chat", chat_request, chat_response, stream)
    if name == "chat":
        return LLMOperation("chat", chat_request, chat_response)
    if name == "chat_stream":
        return LLMOperation("chat", chat_request, chat_response, ChatStreamAccumulator)
    return LLMOperation("embeddings", embeddings_request, embeddings_response)


def _agent_operation_class() -> Any:
    from .._llm.operation import LLMOperation

    class AgentOperation(LLMOperation):
        """``agents.complete`` / ``agents.stream``: a chat completion by an agent, named after it (no model asked)."""

        __slots__ = ()

        def span_name(self, kwargs: dict[str, Any]) -> str:
            agent = kwargs.get("agent_id")
            return f"chat agent {agent}" if isinstance(agent, str) and agent else "chat agent"

    return AgentOperation


_instrumentor = ClientInstrumentor("mistralai", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
