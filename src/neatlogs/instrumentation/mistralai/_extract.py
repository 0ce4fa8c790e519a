"""Mistral chat and embeddings requests, responses and streams as span attributes.

Messages are OpenAI-like (role, content as text or chunks, ``tool_calls``,
``tool_call_id``), given as dicts or the client's models; responses are read by
attribute. The client marks absent fields with its falsy ``UNSET`` sentinel, so optional
fields are tested for truth, not for None.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from ...serialize import to_json
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

__all__ = ["ChatStreamAccumulator", "chat_request", "chat_response", "embeddings_request", "embeddings_response"]

GENAI_PROVIDER = "mistral_ai"
"""``gen_ai.provider.name``: the GenAI conventions' well-known value for Mistral AI
(https://github.com/open-telemetry/semantic-conventions-genai, ``gen_ai.provider.name``)."""

OPENINFERENCE_PROVIDER = "mistralai"
"""``llm.provider`` / ``llm.system``: OpenInference's ``OpenInferenceLLMProviderValues.MISTRALAI``
(https://github.com/Arize-ai/openinference, ``semconv/trace/__init__.py``)."""

_SKIPPED_ARGUMENTS = frozenset({"model", "messages", "inputs", "retries", "server_url", "timeout_ms", "http_headers"})
"""Keyword arguments that are the call's content or shape its HTTP request, not invocation parameters."""


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    parameters = invocation_parameters(kwargs, _SKIPPED_ARGUMENTS)
    return request_attributes(kind, operation, OPENINFERENCE_PROVIDER, kwargs.get("model"), parameters,
                              genai_provider=GENAI_PROVIDER)


def _arguments(value: Any) -> Any:
    """Tool-call arguments as text: Mistral gives them as a JSON string or as an object."""
    return value if value is None or isinstance(value, str) else to_json(value)


def _tool_calls(calls: Any) -> list[tuple[Any, Any, Any]]:
    out = []
    for call in calls or ():
        function = get(call, "function")
        out.append((get(call, "id") or None, get(function, "name"), _arguments(get(function, "arguments"))))
    return out


def _content(value: Any) -> str | None:
    return text_of(value) if value else None


def _messages(messages: Any) -> Any:
    for message in messages or ():
        yield (get(message, "role") or None, _content(get(message, "content")),
               _tool_calls(get(message, "tool_calls")), get(message, "tool_call_id") or None)


def chat_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``chat.complete`` / ``chat.stream`` (and their async twins), and of ``agents.*``."""
    attributes = _base("LLM", "chat", kwargs)
    if isinstance(kwargs.get("agent_id"), str):  # agents.complete: an agent on Mistral's side, its model its own
        attributes[semconv.GEN_AI_AGENT_ID] = kwargs["agent_id"]
    messages: Any = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = list(messages)  # an iterable the client would consume only once
            kwargs["messages"] = messages
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _messages(messages), attributes, policy)
        input_value(attributes, policy, messages)
    return attributes


def _usage(attributes: dict[str, Any], usage: Any) -> None:
    if usage:
        usage_attributes(attributes, get(usage, "prompt_tokens"), get(usage, "completion_tokens"),
                         get(usage, "total_tokens"))


def _result(
    attributes: dict[str, Any], policy: ContentPolicy,
    messages: list[Any], response_id: Any, model: Any, reasons: list[str], usage: Any,
) -> None:
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, policy)
    output_value(attributes, policy, output_text([m[1] for m in messages], [m[2] for m in messages]))
    finish_attributes(attributes, response_id, model, reasons)
    _usage(attributes, usage)


def chat_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``ChatCompletionResponse``."""
    attributes: dict[str, Any] = {}
    messages, reasons = [], []
    for choice in getattr(response, "choices", None) or ():
        message = getattr(choice, "message", None)
        messages.append(("assistant", _content(getattr(message, "content", None)),
                         _tool_calls(getattr(message, "tool_calls", None)), None))
        reason = getattr(choice, "finish_reason", None)
        if reason:
            reasons.append(str(reason))
    _result(attributes, policy, messages, getattr(response, "id", None), getattr(response, "model", None),
            reasons, getattr(response, "usage", None))
    return attributes


class _Choice:
    __slots__ = ("parts", "tool_calls", "finish_reason")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.tool_calls: list[list[Any]] = []  # [id, name, argument parts]
        self.finish_reason: str | None = None


class ChatStreamAccumulator:
    """Accumulates ``CompletionEvent``s (each wrapping a ``CompletionChunk``): text, tool calls, finish, usage."""

    __slots__ = ("choices", "response_id", "model", "usage")

    def __init__(self) -> None:
        self.choices: dict[int, _Choice] = {}
        self.response_id: Any = None
        self.model: Any = None
        self.usage: Any = None

    def feed(self, event: Any) -> None:
        """Take one stream event as the program received it."""
        chunk = getattr(event, "data", event)
        if self.response_id is None:
            self.response_id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
        usage = getattr(chunk, "usage", None)
        if usage:
            self.usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            state = self.choices.get(choice.index or 0)
            if state is None:
                state = self.choices[choice.index or 0] = _Choice()
            if choice.finish_reason:
                state.finish_reason = str(choice.finish_reason)
            delta = choice.delta
            content = delta.content
            if content:
                state.parts.append(content if isinstance(content, str) else text_of(content) or "")
            for call in delta.tool_calls or ():
                self._tool_call(state, call)

    @staticmethod
    def _tool_call(state: _Choice, call: Any) -> None:
        # Mistral sends each call whole; a call with no id of its own continues the previous one.
        call_id = call.id if call.id and call.id != "null" else None
        function = call.function
        if call_id is not None or not state.tool_calls:
            state.tool_calls.append([call_id, function.name, []])
        entry = state.tool_calls[-1]
        if function.name and not entry[1]:
            entry[1] = function.name
        arguments = _arguments(function.arguments)
        if arguments:
            entry[2].append(arguments)

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        messages, reasons = [], []
        for index in sorted(self.choices):
            state = self.choices[index]
            calls = [(i, n, "".join(parts)) for i, n, parts in state.tool_calls]
            messages.append(("assistant", "".join(state.parts) if state.parts else None, calls, None))
            if state.finish_reason:
                reasons.append(state.finish_reason)
        _result(attributes, policy, messages, self.response_id, self.model, reasons, self.usage)
        return attributes


def embeddings_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``embeddings.create`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    embedding_inputs(attributes, policy, kwargs, "inputs")
    return attributes


def embeddings_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of an ``EmbeddingResponse``: id, model and usage."""
    attributes: dict[str, Any] = {}
    finish_attributes(attributes, getattr(response, "id", None), getattr(response, "model", None), [])
    usage = getattr(response, "usage", None)
    if usage:
        usage_attributes(attributes, get(usage, "prompt_tokens"), None, get(usage, "total_tokens"))
    return attributes
