"""The attributes every LLM span shares, whatever the provider: kind, model, parameters, values, tokens.

Provider extractors build their span's attributes from these pieces, so the same fact is
written under the same keys (OpenInference and OpenTelemetry GenAI side by side) for
every library. Captured values go through the call's content policy.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Iterable

    from ..._content import ContentPolicy

from ... import semconv
from ...serialize import to_json
from .bounds import MAX_MESSAGES
from .messages import is_given

__all__ = [
    "TRANSPORT_ARGUMENTS",
    "embedding_inputs",
    "finish_attributes",
    "input_value",
    "invocation_parameters",
    "output_text",
    "output_value",
    "request_attributes",
    "span_name",
    "usage_attributes",
]

TRANSPORT_ARGUMENTS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})
"""Keyword arguments of the Stainless-generated clients that shape the HTTP request, not the model call."""


def span_name(operation: str, model: Any) -> str:
    """``chat gpt-4o``, ``embeddings text-embedding-3-small``; the operation alone without a model."""
    return f"{operation} {model}" if isinstance(model, str) and model else operation


def invocation_parameters(kwargs: dict[str, Any], content_arguments: Iterable[str]) -> str:
    """The call's settings as JSON: every given keyword argument but content and transport ones."""
    skip = TRANSPORT_ARGUMENTS.union(content_arguments)
    parameters = {}
    for key, value in kwargs.items():
        if key in skip or not is_given(value):
            continue
        # parse(response_format=SomeModel): the class name says more than its repr.
        parameters[key] = value.__name__ if isinstance(value, type) else value
    return to_json(parameters)


_SAME: Any = object()


def request_attributes(
    kind: str,
    operation: str,
    provider: str,
    model: Any,
    parameters: str,
    *,
    genai_provider: str | None = None,
    system: str | None = _SAME,
) -> dict[str, Any]:
    """The start attributes every model call has: span kind, operation, provider, model, parameters.

    ``provider`` is OpenInference's ``llm.provider``; ``genai_provider`` the GenAI spec's
    ``gen_ai.provider.name`` where the two spell it apart (``mistralai`` / ``mistral_ai``);
    ``system`` OpenInference's ``llm.system`` where it is not the provider (None: none).
    """
    attributes: dict[str, Any] = {
        semconv.OPENINFERENCE_SPAN_KIND: kind,
        semconv.GEN_AI_OPERATION_NAME: operation,
        semconv.LLM_PROVIDER: provider,
        semconv.GEN_AI_PROVIDER_NAME: genai_provider or provider,
        semconv.LLM_INVOCATION_PARAMETERS: parameters,
    }
    system = provider if system is _SAME else system
    if system is not None:
        attributes[semconv.LLM_SYSTEM] = system
    if is_given(model):
        attributes[semconv.LLM_MODEL_NAME] = attributes[semconv.GEN_AI_REQUEST_MODEL] = str(model)
    return attributes


def input_value(attributes: dict[str, Any], policy: ContentPolicy, value: Any) -> None:
    """``input.value`` (text or JSON, masked) when content capture is on and a value was given."""
    if is_given(value):
        attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, value))


def embedding_inputs(attributes: dict[str, Any], policy: ContentPolicy, kwargs: dict[str, Any], argument: str) -> None:
    """The model name and embedded texts of an embeddings call (never the vectors), and its ``input.value``.

    ``kwargs[argument]`` holds a text or a sequence of texts; a one-shot iterable is replaced by
    a list, which the client then sends.
    """
    model = kwargs.get("model")
    if is_given(model):
        attributes[semconv.EMBEDDING_MODEL_NAME] = str(model)
    value: Any = kwargs.get(argument)
    if not is_given(value):
        return
    if not isinstance(value, (str, list, tuple)):
        value = kwargs[argument] = list(value)
    if policy.capture:
        texts = [value] if isinstance(value, str) else value
        for i, text in enumerate(texts[:MAX_MESSAGES - 1] if len(texts) > MAX_MESSAGES else texts):
            recorded = policy.text(text) if isinstance(text, str) else None
            if recorded is not None:
                attributes[f"{semconv.EMBEDDING_EMBEDDINGS}.{i}.{semconv.EMBEDDING_TEXT}"] = recorded
        if len(texts) > MAX_MESSAGES:  # as many texts as messages at most: the span keeps its identity
            attributes[f"{semconv.EMBEDDING_EMBEDDINGS}.{MAX_MESSAGES - 1}.{semconv.EMBEDDING_TEXT}"] = (
                f"[neatlogs: {len(texts) - MAX_MESSAGES + 1} more of {len(texts)} texts left out]")
    input_value(attributes, policy, value)


def output_value(attributes: dict[str, Any], policy: ContentPolicy, value: Any) -> None:
    """``output.value`` (text or JSON, masked) when content capture is on and there is one."""
    if value is not None:
        attributes.update(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, value))


def output_text(texts: list[str | None], tool_calls: list[list[tuple[Any, Any, Any]]]) -> str | None:
    """What ``output.value`` shows: the first choice's text, else its tool calls as JSON."""
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
        attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)


def usage_attributes(
    attributes: dict[str, Any],
    prompt: Any,
    completion: Any,
    total: Any = None,
    cache_read: Any = None,
    reasoning: Any = None,
    cache_write: Any = None,
) -> None:
    """Write the token counts that are integers (under both naming schemes).

    ``prompt`` is every input token of the call, cached ones included (the convention of
    both specs); ``cache_read`` and ``cache_write`` are the parts of it read from or written
    to the provider's cache.
    """
    if isinstance(prompt, int):
        attributes[semconv.LLM_TOKEN_COUNT_PROMPT] = prompt
        attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] = prompt
    if isinstance(completion, int):
        attributes[semconv.LLM_TOKEN_COUNT_COMPLETION] = completion
        attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = completion
    if not isinstance(total, int) and isinstance(prompt, int) and isinstance(completion, int):
        total = prompt + completion
    if isinstance(total, int):
        attributes[semconv.LLM_TOKEN_COUNT_TOTAL] = total
    if isinstance(cache_read, int):
        attributes[semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] = cache_read
        attributes[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
    if isinstance(cache_write, int):
        attributes[semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE] = cache_write
        attributes[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_write
    if isinstance(reasoning, int):
        attributes[semconv.LLM_TOKEN_COUNT_COMPLETION_REASONING] = reasoning
