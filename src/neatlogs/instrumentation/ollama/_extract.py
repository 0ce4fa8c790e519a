"""Ollama chat, generate and embed requests, responses and stream lines as span attributes.

Requests hold ``messages`` (dicts or ``ollama.Message``: ``role``, ``content``, ``tool_calls``
whose ``function.arguments`` is an object, tool results as ``tool`` messages with a
``tool_name``), or a ``prompt`` with an optional ``system``; sampling settings sit in
``options``. A response (and the last line of a stream, ``done: true``) carries
``done_reason`` and the token counts ``prompt_eval_count`` / ``eval_count``
(https://github.com/ollama/ollama/blob/main/docs/api.md). Ollama gives no response id and
no tool-call ids.
"""

from __future__ import annotations

import contextlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from .._llm.attributes import (
    embedding_inputs,
    finish_attributes,
    input_value,
    invocation_parameters,
    output_text,
    output_value,
    request_attributes,
    usage_attributes,
)
from .._llm.messages import flatten_messages, get, is_given, text_of

__all__ = [
    "ChatStreamAccumulator",
    "GenerateStreamAccumulator",
    "chat_request",
    "chat_response",
    "embed_request",
    "embed_response",
    "embeddings_request",
    "embeddings_response",
    "endpoint",
    "generate_request",
    "generate_response",
    "streams",
]

PROVIDER = "ollama"
"""``gen_ai.provider.name`` and ``llm.provider``: neither the GenAI conventions' well-known values
(https://github.com/open-telemetry/semantic-conventions-genai, ``gen_ai.provider.name``) nor
OpenInference's ``OpenInferenceLLMProviderValues`` (https://github.com/Arize-ai/openinference)
list Ollama, so both take the library's name, as the GenAI spec says for an unlisted provider."""

_CONTENT_ARGUMENTS = frozenset({"model", "messages", "prompt", "suffix", "system", "images", "context", "input",
                                "template"})
"""Keyword arguments that are the call's content, not its invocation parameters."""


def streams(kwargs: dict[str, Any]) -> bool:
    """True when the call returns a stream (``stream=True``)."""
    return bool(kwargs.get("stream"))


_endpoints: Any = None
"""WeakKeyDictionary: client -> (its base URL object, the attributes worked out from it)."""


def endpoint(client: Any) -> dict[str, Any]:
    """``server.address`` / ``server.port`` of the Ollama server the client talks to (kept per client)."""
    global _endpoints
    url = getattr(getattr(client, "_client", None), "base_url", None)
    if _endpoints is None:
        import weakref

        _endpoints = weakref.WeakKeyDictionary()
    try:
        cached = _endpoints.get(client)
    except TypeError:  # a client that cannot be weakly referenced: worked out every call
        cached = None
    if cached is not None and cached[0] is url:
        return cached[1]
    attributes: dict[str, Any] = {}
    host = getattr(url, "host", None)
    if host:
        attributes[semconv.SERVER_ADDRESS] = host
        port = getattr(url, "port", None) or {"https": 443, "http": 80}.get(getattr(url, "scheme", None) or "")
        if port:
            attributes[semconv.SERVER_PORT] = port
    with contextlib.suppress(TypeError):  # not weakly referenceable: worked out again next call, correct too
        _endpoints[client] = (url, attributes)
    return attributes


def _parameters(kwargs: dict[str, Any]) -> str:
    tools = kwargs.get("tools")
    if not tools:
        return invocation_parameters(kwargs, _CONTENT_ARGUMENTS)
    if not isinstance(tools, (list, tuple)):
        tools = kwargs["tools"] = list(tools)  # an iterable the client would consume only once
    settings = dict(kwargs)
    # Python functions are tools too: their names say more than their reprs.
    settings["tools"] = [t.__name__ if callable(t) and hasattr(t, "__name__") else t for t in tools]
    return invocation_parameters(settings, _CONTENT_ARGUMENTS)


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    return request_attributes(kind, operation, PROVIDER, kwargs.get("model"), _parameters(kwargs))


def _tool_calls(calls: Any) -> list[tuple[Any, Any, Any]]:
    out = []
    for call in calls or ():
        function = get(call, "function")
        out.append((None, get(function, "name"), get(function, "arguments")))
    return out


def _messages(messages: Any) -> Any:
    for message in messages:
        yield (get(message, "role"), text_of(get(message, "content")), _tool_calls(get(message, "tool_calls")), None)


def chat_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``chat``."""
    attributes = _base("LLM", "chat", kwargs)
    messages: Any = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = kwargs["messages"] = list(messages)  # an iterable the client would consume only once
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _messages(messages), attributes, policy)
        input_value(attributes, policy, messages)
    return attributes


def _result(
    attributes: dict[str, Any], policy: ContentPolicy, text: Any, calls: list[Any], last: Any, thinking: Any = None,
) -> None:
    """Output message, value, thinking, finish reason, model and token counts; ``last``: the response or final line."""
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, calls, None)], attributes, policy)
    if thinking:  # think=True: the model's reasoning, apart from its reply
        recorded = policy.text(thinking)
        if recorded is not None:
            attributes[semconv.NEATLOGS_REASONING_TEXT] = recorded
    output_value(attributes, policy, output_text([text], [calls]))
    reason = getattr(last, "done_reason", None)
    finish_attributes(attributes, None, getattr(last, "model", None), [str(reason)] if reason else [])
    usage_attributes(attributes, getattr(last, "prompt_eval_count", None), getattr(last, "eval_count", None))


def chat_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``ChatResponse``."""
    attributes: dict[str, Any] = {}
    message = getattr(response, "message", None)
    text = getattr(message, "content", None) or None
    _result(attributes, policy, text, _tool_calls(getattr(message, "tool_calls", None)), response,
            getattr(message, "thinking", None))
    return attributes


class ChatStreamAccumulator:
    """Accumulates streamed ``ChatResponse`` lines: text pieces, whole tool calls, and the final line's counts."""

    __slots__ = ("parts", "thinking", "tool_calls", "last")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.thinking: list[str] = []
        self.tool_calls: list[tuple[Any, Any, Any]] = []
        self.last: Any = None

    def feed(self, part: Any) -> None:
        """Take one line as the program received it."""
        message = part.message
        if message is not None:
            if message.content:
                self.parts.append(message.content)
            if message.thinking:
                self.thinking.append(message.thinking)
            if message.tool_calls:
                self.tool_calls.extend(_tool_calls(message.tool_calls))
        if part.done:
            self.last = part

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        _result(attributes, policy, "".join(self.parts) if self.parts else None, self.tool_calls, self.last,
                "".join(self.thinking))
        return attributes


def generate_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``generate``: the system prompt and the prompt as messages."""
    attributes = _base("LLM", "text_completion", kwargs)
    system, prompt = kwargs.get("system"), kwargs.get("prompt")
    start = 0
    if isinstance(system, str) and system:
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", system, (), None)], attributes, policy,
                                 instructions=True)
    if isinstance(prompt, str):
        flatten_messages(semconv.LLM_INPUT_MESSAGES, [("user", prompt, (), None)], attributes, policy, start)
        input_value(attributes, policy, prompt)
    return attributes


def generate_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``GenerateResponse``."""
    attributes: dict[str, Any] = {}
    _result(attributes, policy, getattr(response, "response", None) or None, [], response,
            getattr(response, "thinking", None))
    return attributes


class GenerateStreamAccumulator:
    """Accumulates streamed ``GenerateResponse`` lines: text pieces and the final line's counts."""

    __slots__ = ("parts", "thinking", "last")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.thinking: list[str] = []
        self.last: Any = None

    def feed(self, part: Any) -> None:
        """Take one line as the program received it."""
        if part.response:
            self.parts.append(part.response)
        if part.thinking:
            self.thinking.append(part.thinking)
        if part.done:
            self.last = part

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        _result(attributes, policy, "".join(self.parts) if self.parts else None, [], self.last, "".join(self.thinking))
        return attributes


def embed_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``embed`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    embedding_inputs(attributes, policy, kwargs, "input")
    return attributes


def embed_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``EmbedResponse``: model and input tokens."""
    attributes: dict[str, Any] = {}
    finish_attributes(attributes, None, getattr(response, "model", None), [])
    usage_attributes(attributes, getattr(response, "prompt_eval_count", None), None)
    return attributes


def embeddings_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of the older ``embeddings`` (one ``prompt``)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    embedding_inputs(attributes, policy, kwargs, "prompt")
    return attributes


def embeddings_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """An ``EmbeddingsResponse`` holds the vector alone: nothing more to record."""
    return {}
