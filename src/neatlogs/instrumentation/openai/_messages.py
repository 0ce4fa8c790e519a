"""Flatten chat messages into OpenInference attributes, honouring capture_content and mask.

Provider modules turn their request and response objects into plain ``Message`` tuples;
this module writes them as ``llm.input_messages.{i}.message.*`` (or output) keys. With
content capture off only roles, tool-call ids and function names are kept: never text or
arguments.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import semconv
from ...serialize import attribute_value, to_json

__all__ = ["flatten_messages", "get", "is_given", "json_value", "text_of", "usage_attributes"]


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` otherwise: requests hold dicts, responses models."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def is_given(value: Any) -> bool:
    """False for None and the clients' ``omit`` / ``NOT_GIVEN`` sentinels."""
    return value is not None and type(value).__name__ not in ("Omit", "NotGiven")


def text_of(content: Any) -> str | None:
    """A message's content as text: strings as they are, text parts joined, other parts as JSON."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        texts = []
        for part in content:
            text = get(part, "text")
            if isinstance(text, str):
                texts.append(text)
            else:
                texts.append(to_json(part))
        return "".join(texts) if len(texts) == 1 else "\n".join(texts)
    return to_json(content)


def json_value(value: Any) -> Any:
    """A JSON string for structures, the string itself for text (tool arguments often are)."""
    return value if isinstance(value, str) else to_json(value)


def flatten_messages(
    prefix: str,
    messages: Any,
    attributes: dict[str, Any],
    call: Any,
    start: int = 0,
) -> int:
    """Write each ``(role, content, tool_calls, tool_call_id)`` under ``prefix``; returns the next index.

    ``tool_calls`` is a sequence of ``(id, name, arguments)``. Content and arguments pass
    through ``call.masked`` and are left out entirely when ``call.capture_content`` is off.
    """
    capture = call.capture_content
    unmasked = call.mask is None
    index = start
    for role, content, tool_calls, tool_call_id in messages:
        base = f"{prefix}.{index}."
        if role:
            attributes[base + semconv.MESSAGE_ROLE] = role if type(role) is str else str(role)
        if capture and content is not None:
            masked = content if unmasked else call.masked(content)
            if masked is not None:
                attributes[base + semconv.MESSAGE_CONTENT] = attribute_value(masked)
        if tool_call_id:
            attributes[base + semconv.MESSAGE_TOOL_CALL_ID] = str(tool_call_id)
        for j, (call_id, name, arguments) in enumerate(tool_calls or ()):
            call_base = f"{base}{semconv.MESSAGE_TOOL_CALLS}.{j}."
            if call_id:
                attributes[call_base + semconv.TOOL_CALL_ID] = str(call_id)
            if name:
                attributes[call_base + semconv.TOOL_CALL_FUNCTION_NAME] = str(name)
            if capture and arguments is not None:
                masked = call.masked(arguments)
                if masked is not None:
                    attributes[call_base + semconv.TOOL_CALL_FUNCTION_ARGUMENTS] = attribute_value(
                        json_value(masked)
                    )
        index += 1
    return index


def usage_attributes(
    attributes: dict[str, Any],
    prompt: Any,
    completion: Any,
    total: Any = None,
    cached: Any = None,
    reasoning: Any = None,
) -> None:
    """Write the token counts that are integers (under both naming schemes)."""
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
    if isinstance(cached, int):
        attributes[semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] = cached
    if isinstance(reasoning, int):
        attributes[semconv.LLM_TOKEN_COUNT_COMPLETION_REASONING] = reasoning
