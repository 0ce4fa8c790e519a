"""OpenAI requests and responses as span attributes: chat completions, responses, embeddings.

Request builders take the keyword arguments of the client method and return the span's
start attributes (the span kind among them, so processors see it at start). Response
builders read the returned model objects by attribute, never through ``model_dump``
(it costs tens of microseconds per call).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from .._llm.attributes import (
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
    "chat_request",
    "chat_response",
    "chat_usage_attributes",
    "embeddings_request",
    "embeddings_response",
    "responses_request",
    "responses_response",
]

PROVIDER = "openai"

_CONTENT_ARGUMENTS = frozenset({"model", "messages", "input", "instructions", "prediction"})
"""Keyword arguments that are the call's content, not its invocation parameters."""


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    parameters = invocation_parameters(kwargs, _CONTENT_ARGUMENTS)
    return request_attributes(kind, operation, PROVIDER, kwargs.get("model"), parameters)


def _tool_calls(calls: Any) -> list[tuple[Any, Any, Any]]:
    if not calls:
        return []
    out = []
    for tool_call in calls:
        function = get(tool_call, "function")
        out.append((get(tool_call, "id"), get(function, "name"), get(function, "arguments")))
    return out


# --- chat completions -----------------------------------------------------------------
def _chat_messages(messages: Any) -> Any:
    for message in messages or ():
        yield (
            get(message, "role"),
            text_of(get(message, "content")),
            _tool_calls(get(message, "tool_calls")),
            get(message, "tool_call_id"),
        )


def chat_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``chat.completions.create`` / ``parse``."""
    attributes = _base("LLM", "chat", kwargs)
    messages: Any = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = list(messages)  # an iterable the client would consume only once
            kwargs["messages"] = messages
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _chat_messages(messages), attributes, policy)
        input_value(attributes, policy, messages)
    return attributes


def chat_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``ChatCompletion`` (or ``ParsedChatCompletion``)."""
    attributes: dict[str, Any] = {}
    messages, texts, calls, reasons = [], [], [], []
    # The client always returns model objects here: plain getattr, no dict check.
    for choice in getattr(response, "choices", None) or ():
        message = getattr(choice, "message", None)
        text = text_of(getattr(message, "content", None))
        tool_calls = _tool_calls(getattr(message, "tool_calls", None))
        messages.append((getattr(message, "role", None) or "assistant", text, tool_calls, None))
        texts.append(text)
        calls.append(tool_calls)
        reason = getattr(choice, "finish_reason", None)
        if reason:
            reasons.append(str(reason))
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, policy)
    output_value(attributes, policy, output_text(texts, calls))
    finish_attributes(attributes, getattr(response, "id", None), getattr(response, "model", None), reasons)
    chat_usage_attributes(attributes, getattr(response, "usage", None))
    return attributes


def chat_usage_attributes(attributes: dict[str, Any], usage: Any) -> None:
    """Add the token counts of a chat completion's ``usage`` (absent when the API sent none)."""
    if usage is None:
        return
    usage_attributes(
        attributes,
        getattr(usage, "prompt_tokens", None),
        getattr(usage, "completion_tokens", None),
        getattr(usage, "total_tokens", None),
        getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", None),
        getattr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens", None),
    )


# --- responses ------------------------------------------------------------------------
def _responses_input(value: Any) -> Any:
    if isinstance(value, str):
        yield ("user", value, (), None)
        return
    for item in value or ():
        kind = get(item, "type")
        if kind == "function_call":
            yield ("assistant", None, [(get(item, "call_id"), get(item, "name"), get(item, "arguments"))], None)
        elif kind == "function_call_output":
            output = get(item, "output")
            yield ("tool", output if isinstance(output, str) else text_of(output), (), get(item, "call_id"))
        elif get(item, "role") is not None:
            yield (get(item, "role"), text_of(get(item, "content")), (), None)


def responses_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``responses.create`` / ``parse``."""
    attributes = _base("LLM", "responses", kwargs)
    instructions = kwargs.get("instructions")
    value: Any = kwargs.get("input")
    start = 0
    if is_given(instructions):
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", instructions, (), None)], attributes, policy)
    if is_given(value):
        if not isinstance(value, (str, list, tuple)):
            value = list(value)
            kwargs["input"] = value
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _responses_input(value), attributes, policy, start)
        input_value(attributes, policy, value)
    return attributes


def responses_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``Response`` (or ``ParsedResponse``)."""
    attributes: dict[str, Any] = {}
    texts: list[str] = []
    tool_calls: list[tuple[Any, Any, Any]] = []
    for item in get(response, "output") or ():
        kind = get(item, "type")
        if kind == "message":
            for part in get(item, "content") or ():
                text = get(part, "text")
                if isinstance(text, str):
                    texts.append(text)
        elif kind == "function_call":
            tool_calls.append((get(item, "call_id"), get(item, "name"), get(item, "arguments")))
    text = "".join(texts) if texts else None
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, tool_calls, None)], attributes, policy)
    output_value(attributes, policy, output_text([text], [tool_calls]))
    status = get(response, "status")
    finish_attributes(attributes, get(response, "id"), get(response, "model"), [str(status)] if status else [])
    usage = get(response, "usage")
    if usage is not None:
        usage_attributes(
            attributes,
            get(usage, "input_tokens"),
            get(usage, "output_tokens"),
            get(usage, "total_tokens"),
            get(get(usage, "input_tokens_details"), "cached_tokens"),
            get(get(usage, "output_tokens_details"), "reasoning_tokens"),
        )
    return attributes


# --- embeddings -----------------------------------------------------------------------
def embeddings_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``embeddings.create`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    model = kwargs.get("model")
    if is_given(model):
        attributes[semconv.EMBEDDING_MODEL_NAME] = str(model)
    value: Any = kwargs.get("input")
    if is_given(value):
        if not isinstance(value, (str, list, tuple)):
            value = list(value)
            kwargs["input"] = value
        texts = [value] if isinstance(value, str) else value
        if policy.capture:
            for i, text in enumerate(texts):
                if isinstance(text, str):
                    recorded = policy.text(text)
                    if recorded is not None:
                        attributes[f"{semconv.EMBEDDING_EMBEDDINGS}.{i}.{semconv.EMBEDDING_TEXT}"] = recorded
        input_value(attributes, policy, value)
    return attributes


def embeddings_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``CreateEmbeddingResponse``: model, count and usage."""
    attributes: dict[str, Any] = {}
    finish_attributes(attributes, None, get(response, "model"), [])
    usage = get(response, "usage")
    if usage is not None:
        prompt = get(usage, "prompt_tokens")
        usage_attributes(attributes, prompt, None, get(usage, "total_tokens"))
    return attributes
