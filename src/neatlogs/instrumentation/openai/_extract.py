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
    embedding_inputs,
    finish_attributes,
    input_value,
    invocation_parameters,
    output_text,
    output_value,
    request_attributes,
    usage_attributes,
)
from .._llm.chat_completions import chat_usage_attributes
from .._llm.messages import flatten_messages, get, is_given, text_of

__all__ = [
    "completions_request",
    "completions_response",
    "embeddings_request",
    "embeddings_response",
    "moderations_request",
    "moderations_response",
    "responses_request",
    "responses_response",
]

PROVIDER = "openai"

_CONTENT_ARGUMENTS = frozenset({"model", "messages", "input", "instructions", "prediction", "prompt"})
"""Keyword arguments that are the call's content, not its invocation parameters."""


def _base(kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    parameters = invocation_parameters(kwargs, _CONTENT_ARGUMENTS)
    return request_attributes(kind, operation, PROVIDER, kwargs.get("model"), parameters)


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
    attributes = _base("LLM", "chat", kwargs)
    attributes[semconv.OPENAI_API_TYPE] = "responses"
    conversation = kwargs.get("conversation")  # an id, or {"id": ...}: the program's own conversation
    conversation = get(conversation, "id") if not isinstance(conversation, str) else conversation
    if isinstance(conversation, str) and conversation:
        attributes[semconv.GEN_AI_CONVERSATION_ID] = conversation
    instructions = kwargs.get("instructions")
    value: Any = kwargs.get("input")
    start = 0
    if is_given(instructions):
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", instructions, (), None)], attributes, policy,
                                 instructions=True)
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
    embedding_inputs(attributes, policy, kwargs, "input")
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


# --- legacy completions -------------------------------------------------------------------
def completions_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of the legacy ``completions.create``: each prompt is a user message."""
    attributes = _base("LLM", "text_completion", kwargs)
    prompt: Any = kwargs.get("prompt")
    if is_given(prompt):
        if not isinstance(prompt, (str, list, tuple)):
            prompt = list(prompt)
            kwargs["prompt"] = prompt
        prompts = [prompt] if isinstance(prompt, str) else prompt
        messages = [("user", p if isinstance(p, str) else text_of(p), (), None) for p in prompts]
        flatten_messages(semconv.LLM_INPUT_MESSAGES, messages, attributes, policy)
        input_value(attributes, policy, prompt)
    return attributes


def completions_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a legacy ``Completion``: each choice's text is an assistant message."""
    attributes: dict[str, Any] = {}
    texts, reasons = [], []
    for choice in getattr(response, "choices", None) or ():
        texts.append(getattr(choice, "text", None))
        reason = getattr(choice, "finish_reason", None)
        if reason:
            reasons.append(str(reason))
    completion_attributes(attributes, policy, texts, reasons, response, getattr(response, "usage", None))
    return attributes


def completion_attributes(
    attributes: dict[str, Any], policy: ContentPolicy, texts: list[Any], reasons: list[str], response: Any, usage: Any
) -> None:
    """Output messages, value, finish reasons and usage of a legacy completion (plain or streamed)."""
    messages = [("assistant", text, (), None) for text in texts]
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, policy)
    output_value(attributes, policy, output_text(texts, []))
    finish_attributes(attributes, get(response, "id"), get(response, "model"), reasons)
    chat_usage_attributes(attributes, usage)


# --- moderations ----------------------------------------------------------------------------
def moderations_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``moderations.create`` (kind GUARDRAIL: it judges content, it does not answer)."""
    attributes = _base("GUARDRAIL", "moderations", kwargs)
    input_value(attributes, policy, kwargs.get("input"))
    return attributes


def moderations_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``ModerationCreateResponse``: which inputs were flagged, for which categories."""
    attributes: dict[str, Any] = {}
    verdicts = []
    for result in get(response, "results") or ():
        categories = get(result, "categories")
        flagged_for = [name for name, value in (vars(categories).items() if categories is not None else ())
                       if value is True and not name.startswith("_")]
        verdicts.append({"flagged": bool(get(result, "flagged")), "categories": flagged_for})
    finish_attributes(attributes, get(response, "id"), get(response, "model"), [])
    output_value(attributes, policy, verdicts)
    return attributes
