"""A stored span's chat messages, read from either convention: OpenInference or OTel GenAI.

OpenInference's flattened ``llm.input_messages.{i}.message.*`` keys come first; else the
GenAI JSON attributes (``gen_ai.system_instructions``, ``gen_ai.input.messages``,
``gen_ai.output.messages``, also when an event carries them); else the older GenAI message
events (``gen_ai.user.message``, ``gen_ai.choice``, ...). The views, the turn rule and the
search index all read messages here, so every span that carries chat shows as chat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import semconv
from . import bounded_json

__all__ = ["ChatMessage", "ToolCall", "chat_text", "input_messages", "output_messages"]

_CONTENT, _ROLE, _TOOL_CALLS, _ID, _MESSAGE, _BODY = semconv.GEN_AI_EVENT_FIELDS


@dataclass
class ToolCall:
    """One tool call a message asks for."""

    name: str
    arguments: str = ""
    call_id: str | None = None


@dataclass
class ChatMessage:
    """One chat message: its role, its text, the tool calls it makes, the call it answers."""

    role: str
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None

    @property
    def is_tool_result(self) -> bool:
        """True for a tool's answer (role ``tool``, or a GenAI message of tool_call_response parts)."""
        return self.role == "tool" or self.tool_call_id is not None and self.role != "assistant"

    def to_json(self) -> dict[str, Any]:
        """The message as plain data (role, content, tool calls, the call it answers)."""
        return {
            "role": self.role,
            "content": self.content,
            "tool_calls": [{"name": c.name, "arguments": c.arguments, "id": c.call_id} for c in self.tool_calls],
            "tool_call_id": self.tool_call_id,
        }


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _loaded(value: Any) -> Any:
    """A JSON string attribute decoded (OTLP carries objects as strings); anything else as is."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return bounded_json.loads(value)  # text nested thousands deep stays text
        except ValueError:
            return None
    return value


def _flattened(attributes: dict[str, Any], prefix: str) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    index = 0
    while True:
        role = attributes.get(semconv.message_key(prefix, index, semconv.MESSAGE_ROLE))
        content = attributes.get(semconv.message_key(prefix, index, semconv.MESSAGE_CONTENT))
        if role is None and content is None:
            return messages
        calls = []
        j = 0
        while True:
            name = attributes.get(semconv.tool_call_key(prefix, index, j, semconv.TOOL_CALL_FUNCTION_NAME))
            arguments = attributes.get(semconv.tool_call_key(prefix, index, j, semconv.TOOL_CALL_FUNCTION_ARGUMENTS))
            if name is None and arguments is None:
                break
            call_id = attributes.get(semconv.tool_call_key(prefix, index, j, semconv.TOOL_CALL_ID))
            calls.append(ToolCall(_as_text(name), _as_text(arguments), None if call_id is None else str(call_id)))
            j += 1
        answered = attributes.get(semconv.message_key(prefix, index, semconv.MESSAGE_TOOL_CALL_ID))
        messages.append(ChatMessage(str(role or ""), _as_text(content), calls,
                                    None if answered is None else str(answered)))
        index += 1


def _genai_message(raw: Any, default_role: str = "") -> ChatMessage | None:
    """One GenAI JSON message ``{role, parts: [...]}`` (a bare ``{role, content}`` also reads)."""
    if not isinstance(raw, dict):
        return None
    message = ChatMessage(str(raw.get(_ROLE) or default_role))
    parts = raw.get("parts")
    if not isinstance(parts, list):
        parts = [{"type": "text", _CONTENT: raw.get(_CONTENT)}] if raw.get(_CONTENT) is not None else []
        for call in _loaded(raw.get(_TOOL_CALLS)) or ():
            if isinstance(call, dict):
                inner = call.get("function")
                function: dict[str, Any] = inner if isinstance(inner, dict) else call
                parts.append({"type": "tool_call", _ID: call.get(_ID), "name": function.get("name"),
                              "arguments": function.get("arguments")})
        if raw.get(_ID) is not None and message.role == "tool":
            message.tool_call_id = str(raw[_ID])
    texts: list[str] = []
    for part in parts:
        part = _loaded(part)  # a structured OTLP value reaches the store as JSON text per element
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "tool_call":
            call_id = part.get(_ID)
            message.tool_calls.append(ToolCall(_as_text(part.get("name")), _as_text(part.get("arguments")),
                                               None if call_id is None else str(call_id)))
        elif kind == "tool_call_response":
            message.tool_call_id = str(part.get(_ID) or "")
            # The schema names it "response"; the spec's own examples (and some SDKs) say "result".
            texts.append(_as_text(part.get("response", part.get("result"))))
        elif kind in ("text", None):
            texts.append(_as_text(part.get(_CONTENT)))
        elif kind in ("blob", "uri") and _is_image(part):
            texts.append(_as_text(part))  # kept whole: the dashboard shows it as an image
        elif kind != "reasoning":
            texts.append(f"[{kind}]")
    message.content = "\n".join(t for t in texts if t)
    return message


def _is_image(part: dict[str, Any]) -> bool:
    return part.get("modality") == "image" or str(part.get("mime_type") or "").startswith("image/")


def _genai_list(value: Any, default_role: str = "") -> list[ChatMessage]:
    loaded = _loaded(value)
    if not isinstance(loaded, list):
        return []
    messages = [_genai_message(_loaded(item), default_role) for item in loaded]
    return [m for m in messages if m is not None]


def _system_instructions(value: Any) -> list[ChatMessage]:
    loaded = _loaded(value)
    if isinstance(value, str) and loaded is value:  # plain text, not JSON
        return [ChatMessage("system", value)]
    if not isinstance(loaded, list):
        return []
    message = _genai_message({_ROLE: "system", "parts": loaded})
    return [message] if message is not None else []


def _event_messages(events: list[dict[str, Any]], output: bool) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for event in events:
        name = event.get("name")
        attributes = event.get("attributes") or {}
        if output != (name == semconv.GEN_AI_CHOICE_EVENT) or not (output or name in semconv.GEN_AI_MESSAGE_EVENTS):
            continue
        body = _loaded(attributes.get(_BODY))
        fields = body if isinstance(body, dict) else attributes
        nested = _loaded(fields.get(_MESSAGE))
        raw = nested if isinstance(nested, dict) else fields
        role = "assistant" if output else semconv.GEN_AI_MESSAGE_EVENTS[str(name)]
        message = _genai_message({**raw, _CONTENT: _loaded(raw.get(_CONTENT))}, role)
        if message is not None:
            messages.append(message)
    return messages


def _genai_attribute(attributes: dict[str, Any], events: list[dict[str, Any]], key: str) -> Any:
    if key in attributes:
        return attributes[key]
    for event in events:  # the spec's operation-details event may carry them instead
        value = (event.get("attributes") or {}).get(key)
        if value is not None:
            return value
    return None


def input_messages(attributes: dict[str, Any], events: list[dict[str, Any]] | None = None) -> list[ChatMessage]:
    """The request's messages in order (system first), from whichever convention the span carries."""
    events = events or []
    flattened = _flattened(attributes, semconv.LLM_INPUT_MESSAGES)
    if flattened:
        return flattened
    system = _system_instructions(_genai_attribute(attributes, events, semconv.GEN_AI_SYSTEM_INSTRUCTIONS))
    genai = _genai_list(_genai_attribute(attributes, events, semconv.GEN_AI_INPUT_MESSAGES))
    if genai or system:
        return system + genai
    return _event_messages(events, output=False)


def output_messages(attributes: dict[str, Any], events: list[dict[str, Any]] | None = None) -> list[ChatMessage]:
    """The reply's messages, from whichever convention the span carries."""
    events = events or []
    flattened = _flattened(attributes, semconv.LLM_OUTPUT_MESSAGES)
    if flattened:
        return flattened
    genai = _genai_list(_genai_attribute(attributes, events, semconv.GEN_AI_OUTPUT_MESSAGES), "assistant")
    return genai or _event_messages(events, output=True)


def chat_text(attributes: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    """The words of a span's chat (input then output messages, tool calls' names), for search."""
    words: list[str] = []
    for message in input_messages(attributes, events) + output_messages(attributes, events):
        if message.content:
            words.append(message.content)
        words.extend(call.name for call in message.tool_calls if call.name)
    return " ".join(words)
