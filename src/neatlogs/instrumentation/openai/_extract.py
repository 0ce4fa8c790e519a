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

from ... import semconv
from ...serialize import attribute_value, to_json
from ._messages import flatten_messages, get, is_given, text_of, usage_attributes

__all__ = [
    "chat_request",
    "chat_response",
    "chat_usage_attributes",
    "embeddings_request",
    "embeddings_response",
    "finish_attributes",
    "output_text",
    "output_value",
    "responses_request",
    "responses_response",
    "span_name",
]

PROVIDER = "openai"

_NOT_PARAMETERS = frozenset(
    {"model", "messages", "input", "instructions", "prediction", "extra_headers", "extra_query", "extra_body", "timeout"}
)
"""Keyword arguments that are content or transport, not invocation parameters."""


def span_name(operation: str, kwargs: dict[str, Any]) -> str:
    """``chat gpt-4o``, ``responses gpt-4o``, ``embeddings text-embedding-3-small``."""
    model = kwargs.get("model")
    return f"{operation} {model}" if is_given(model) else operation


def _parameters(kwargs: dict[str, Any]) -> str:
    parameters = {}
    for key, value in kwargs.items():
        if key in _NOT_PARAMETERS or not is_given(value):
            continue
        # parse(response_format=SomeModel): the class name says more than its repr.
        parameters[key] = value.__name__ if isinstance(value, type) else value
    return to_json(parameters)


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        semconv.OPENINFERENCE_SPAN_KIND: kind,
        semconv.GEN_AI_OPERATION_NAME: operation,
        semconv.LLM_PROVIDER: PROVIDER,
        semconv.LLM_SYSTEM: PROVIDER,
        semconv.GEN_AI_PROVIDER_NAME: PROVIDER,
        semconv.LLM_INVOCATION_PARAMETERS: _parameters(kwargs),
    }
    model = kwargs.get("model")
    if is_given(model):
        attributes[semconv.LLM_MODEL_NAME] = str(model)
        attributes[semconv.GEN_AI_REQUEST_MODEL] = str(model)
    return attributes


def _input_value(attributes: dict[str, Any], call: Any, value: Any) -> None:
    if not call.capture_content or not is_given(value):
        return
    value = call.masked(value)
    if value is None:
        return
    if isinstance(value, str):
        attributes[semconv.INPUT_VALUE] = attribute_value(value)
        attributes[semconv.INPUT_MIME_TYPE] = semconv.MIME_TEXT
    else:
        attributes[semconv.INPUT_VALUE] = to_json(value)
        attributes[semconv.INPUT_MIME_TYPE] = semconv.MIME_JSON


def output_value(attributes: dict[str, Any], call: Any, text: str | None) -> None:
    """``output.value`` (masked) when content capture is on."""
    if not call.capture_content or text is None:
        return
    text = call.masked(text)
    if text is None:
        return
    attributes[semconv.OUTPUT_VALUE] = attribute_value(text) if isinstance(text, str) else to_json(text)
    attributes[semconv.OUTPUT_MIME_TYPE] = semconv.MIME_TEXT if isinstance(text, str) else semconv.MIME_JSON


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


def chat_request(kwargs: dict[str, Any], call: Any) -> dict[str, Any]:
    """Start attributes of ``chat.completions.create`` / ``parse``."""
    attributes = _base("LLM", "chat", kwargs)
    messages = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = list(messages)  # an iterable the client would consume only once
            kwargs["messages"] = messages
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _chat_messages(messages), attributes, call)
        _input_value(attributes, call, messages)
    return attributes


def output_text(texts: list[str | None], tool_calls: list[list[tuple[Any, Any, Any]]]) -> str | None:
    """``output.value``: the first choice's text, or its tool calls as JSON."""
    if texts and texts[0] is not None:
        return texts[0]
    if tool_calls and tool_calls[0]:
        return to_json([{"id": i, "name": n, "arguments": a} for i, n, a in tool_calls[0]])
    return None


def finish_attributes(attributes: dict[str, Any], response_id: Any, model: Any, reasons: list[str]) -> None:
    """Response id, response model and finish reasons, where known."""
    if response_id:
        attributes[semconv.GEN_AI_RESPONSE_ID] = str(response_id)
    if model:
        attributes[semconv.GEN_AI_RESPONSE_MODEL] = str(model)
        attributes[semconv.LLM_MODEL_NAME] = str(model)
    if reasons:
        attributes[semconv.LLM_FINISH_REASONS] = attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)


def chat_response(response: Any, call: Any) -> dict[str, Any]:
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
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, call)
    output_value(attributes, call, output_text(texts, calls))
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


def responses_request(kwargs: dict[str, Any], call: Any) -> dict[str, Any]:
    """Start attributes of ``responses.create`` / ``parse``."""
    attributes = _base("LLM", "responses", kwargs)
    instructions = kwargs.get("instructions")
    value = kwargs.get("input")
    start = 0
    if is_given(instructions):
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", instructions, (), None)], attributes, call)
    if is_given(value):
        if not isinstance(value, (str, list, tuple)):
            value = list(value)
            kwargs["input"] = value
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _responses_input(value), attributes, call, start)
        _input_value(attributes, call, value)
    return attributes


def responses_response(response: Any, call: Any) -> dict[str, Any]:
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
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, tool_calls, None)], attributes, call)
    output_value(attributes, call, output_text([text], [tool_calls]))
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
def embeddings_request(kwargs: dict[str, Any], call: Any) -> dict[str, Any]:
    """Start attributes of ``embeddings.create`` (kind EMBEDDING; texts, never vectors)."""
    attributes = _base("EMBEDDING", "embeddings", kwargs)
    model = kwargs.get("model")
    if is_given(model):
        attributes[semconv.EMBEDDING_MODEL_NAME] = str(model)
    value = kwargs.get("input")
    if is_given(value):
        if not isinstance(value, (str, list, tuple)):
            value = list(value)
            kwargs["input"] = value
        texts = [value] if isinstance(value, str) else value
        if call.capture_content:
            for i, text in enumerate(texts):
                if isinstance(text, str):
                    masked = call.masked(text)
                    if masked is not None:
                        attributes[f"{semconv.EMBEDDING_EMBEDDINGS}.{i}.{semconv.EMBEDDING_TEXT}"] = (
                            attribute_value(masked)
                        )
        _input_value(attributes, call, value)
    return attributes


def embeddings_response(response: Any, call: Any) -> dict[str, Any]:
    """Final attributes of a ``CreateEmbeddingResponse``: model, count and usage."""
    attributes: dict[str, Any] = {}
    finish_attributes(attributes, None, get(response, "model"), [])
    usage = get(response, "usage")
    if usage is not None:
        prompt = get(usage, "prompt_tokens")
        usage_attributes(attributes, prompt, None, get(usage, "total_tokens"))
    return attributes
