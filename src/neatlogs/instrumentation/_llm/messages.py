"""Chat messages as OpenInference attributes, every text through the content policy.

Provider extractors turn their request and response objects into plain message tuples,
``(role, content, tool_calls, tool_call_id)`` with ``tool_calls`` a sequence of
``(id, name, arguments)``; :func:`flatten_messages` writes them as
``llm.input_messages.{i}.message.*`` (or output) keys. With content capture off only
roles, tool-call ids and function names are kept: never text or arguments. A system prompt
the API takes apart from the chat history (``instructions=True``) is also written as the
GenAI ``gen_ai.system_instructions``; ``genai.py`` builds the other GenAI message keys
from these.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Iterable, Sequence

    from ..._content import ContentPolicy

    ToolCall = tuple[Any, Any, Any]
    Message = tuple[Any, Any, Sequence[ToolCall], Any]

from ... import semconv
from ...serialize import to_json

__all__ = ["flatten_messages", "get", "is_given", "text_of"]


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


def flatten_messages(
    prefix: str,
    messages: Iterable[Message],
    attributes: dict[str, Any],
    policy: ContentPolicy,
    start: int = 0,
    *,
    instructions: bool = False,
) -> int:
    """Write each message tuple under ``prefix`` from index ``start``; returns the next index.

    Content and tool arguments go through ``policy`` (left out when capture is off or the
    mask fails); tool arguments that are not text are recorded as JSON. ``instructions``:
    these are the system prompt given apart from the messages (anthropic's ``system``,
    the Responses API's ``instructions``...), also recorded as ``gen_ai.system_instructions``.
    """
    capture = policy.capture
    index = start
    texts: list[dict[str, Any]] | None = [] if instructions and capture else None
    for role, content, tool_calls, tool_call_id in messages:
        base = f"{prefix}.{index}."
        if role:
            attributes[base + semconv.MESSAGE_ROLE] = role if type(role) is str else str(role)
        if capture and content is not None:
            text = policy.text(content)
            if text is not None:
                attributes[base + semconv.MESSAGE_CONTENT] = text
                if texts is not None:
                    texts.append({"type": "text", "content": text})
        if tool_call_id:
            attributes[base + semconv.MESSAGE_TOOL_CALL_ID] = str(tool_call_id)
        for j, (call_id, name, arguments) in enumerate(tool_calls or ()):
            call_base = f"{base}{semconv.MESSAGE_TOOL_CALLS}.{j}."
            if call_id:
                attributes[call_base + semconv.TOOL_CALL_ID] = str(call_id)
            if name:
                attributes[call_base + semconv.TOOL_CALL_FUNCTION_NAME] = str(name)
            if capture and arguments is not None:
                text = policy.text(arguments)
                if text is not None:
                    attributes[call_base + semconv.TOOL_CALL_FUNCTION_ARGUMENTS] = text
        index += 1
    if texts:
        attributes[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = policy.clean_text(texts)
    return index
