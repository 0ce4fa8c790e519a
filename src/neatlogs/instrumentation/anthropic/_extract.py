"""Anthropic Messages requests, responses and streams as span attributes.

Content blocks are flattened the OpenInference way: text blocks become the message
content, ``tool_use`` blocks become tool calls, a ``tool_result`` block becomes a ``tool``
message answering its ``tool_use_id``. Extended-thinking blocks (``thinking``,
``redacted_thinking``) stay out of the reply's text: the thinking text is recorded under
its own key (content, under the policy), the redacted ones only counted. Input tokens are
every input token of the call: uncached ones plus cache reads plus cache writes, as both
specs count them; the two cache parts are also recorded apart.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from ...serialize import to_json
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

__all__ = ["MessagesStreamAccumulator", "messages_request", "messages_response"]

PROVIDER = "anthropic"

_CONTENT_ARGUMENTS = frozenset({"model", "messages", "system"})
"""Keyword arguments that are the call's content, not its invocation parameters."""

_THINKING_BLOCKS = frozenset({"thinking", "redacted_thinking"})
"""Content block types of extended thinking."""


def _split_blocks(role: Any, content: Any) -> Any:
    """One request message as flattened messages: its tool results, then its text and tool calls."""
    if content is None or isinstance(content, str):
        yield (role, content, (), None)
        return
    texts, calls = [], []
    results = []
    for block in content:
        kind = get(block, "type")
        if kind == "text":
            texts.append(get(block, "text"))
        elif kind == "tool_use":
            calls.append((get(block, "id"), get(block, "name"), to_json(get(block, "input"))))
        elif kind == "tool_result":
            results.append(("tool", text_of(get(block, "content")), (), get(block, "tool_use_id")))
        elif kind in _THINKING_BLOCKS:
            continue  # an earlier reply's reasoning sent back: recorded on that reply's span
        else:
            texts.append(to_json(block))
    # Tool results answer the previous assistant turn, so they come first.
    yield from results
    if texts or calls:
        yield (role, "\n".join(t for t in texts if isinstance(t, str)) or None, calls, None)


def _request_messages(messages: Any) -> Any:
    for message in messages or ():
        yield from _split_blocks(get(message, "role"), get(message, "content"))


def messages_request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``messages.create`` / ``parse``."""
    parameters = invocation_parameters(kwargs, _CONTENT_ARGUMENTS)
    attributes = request_attributes("LLM", "chat", PROVIDER, kwargs.get("model"), parameters)
    start = 0
    system = kwargs.get("system")
    if is_given(system):
        system_message = [("system", text_of(system), (), None)]
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, system_message, attributes, policy, instructions=True)
    messages: Any = kwargs.get("messages")
    if is_given(messages):
        if not isinstance(messages, (list, tuple)):
            messages = list(messages)
            kwargs["messages"] = messages
        flatten_messages(semconv.LLM_INPUT_MESSAGES, _request_messages(messages), attributes, policy, start)
        input_value(attributes, policy, messages)
    return attributes


def _usage(attributes: dict[str, Any], usage: Any, start_usage: Any = None) -> None:
    """Token counts of ``usage``; a stream's ``message_delta`` usage falls back on its ``message_start`` one."""

    def count(name: str) -> Any:
        value = get(usage, name)
        return value if isinstance(value, int) or start_usage is None else get(start_usage, name)

    uncached = count("input_tokens")
    cache_read, cache_write = count("cache_read_input_tokens"), count("cache_creation_input_tokens")
    prompt = None
    if isinstance(uncached, int):
        prompt = uncached + sum(n for n in (cache_read, cache_write) if isinstance(n, int))
    usage_attributes(attributes, prompt, get(usage, "output_tokens"), None, cache_read, None, cache_write)


def _result(
    attributes: dict[str, Any], policy: ContentPolicy,
    text: Any, calls: list[Any], message_id: Any, model: Any, stop: Any,
) -> None:
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, calls, None)], attributes, policy)
    output_value(attributes, policy, output_text([text], [calls]))
    finish_attributes(attributes, message_id, model, [str(stop)] if stop else [])


def _reasoning(attributes: dict[str, Any], policy: ContentPolicy, thoughts: list[Any], redacted: int) -> None:
    """The reply's thinking text (under the policy) and how many thinking blocks came redacted."""
    texts = [t for t in thoughts if isinstance(t, str) and t]
    if texts:
        recorded = policy.text("\n\n".join(texts))
        if recorded is not None:
            attributes[semconv.NEATLOGS_REASONING_TEXT] = recorded
    if redacted:
        attributes[semconv.NEATLOGS_REASONING_REDACTED_BLOCKS] = redacted


def messages_response(message: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``Message``."""
    attributes: dict[str, Any] = {}
    texts, calls, thoughts = [], [], []
    redacted = 0
    for block in get(message, "content") or ():
        kind = get(block, "type")
        if kind == "text":
            texts.append(get(block, "text"))
        elif kind == "tool_use":
            calls.append((get(block, "id"), get(block, "name"), to_json(get(block, "input"))))
        elif kind == "thinking":
            thoughts.append(get(block, "thinking"))
        elif kind == "redacted_thinking":
            redacted += 1
    text = "".join(t for t in texts if isinstance(t, str)) if texts else None
    _result(attributes, policy, text, calls, get(message, "id"), get(message, "model"), get(message, "stop_reason"))
    _reasoning(attributes, policy, thoughts, redacted)
    usage = get(message, "usage")
    if usage is not None:
        _usage(attributes, usage)
    return attributes


_DELTA_PIECES: dict[Any, str] = {"text_delta": "text", "input_json_delta": "partial_json", "thinking_delta": "thinking"}
"""The field of each stream delta type that continues its block; others (``signature_delta``) add no text."""


class MessagesStreamAccumulator:
    """Accumulates Messages stream events: text, tool-use and thinking blocks by index, stop reason, usage."""

    __slots__ = ("message_id", "model", "blocks", "stop_reason", "start_usage", "usage")

    def __init__(self) -> None:
        self.message_id: Any = None
        self.model: Any = None
        self.blocks: dict[int, list[Any]] = {}  # index -> [kind, id, name, parts]
        self.stop_reason: Any = None
        self.start_usage: Any = None
        self.usage: Any = None

    def feed(self, event: Any) -> None:
        """Take one stream event as the program received it."""
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            block = self.blocks.get(event.index)
            if block is not None:
                delta = event.delta
                field = _DELTA_PIECES.get(getattr(delta, "type", None))
                piece = getattr(delta, field, None) if field is not None else None
                if piece:
                    block[3].append(piece)
        elif kind == "content_block_start":
            block = event.content_block
            self.blocks[event.index] = [block.type, getattr(block, "id", None), getattr(block, "name", None), []]
        elif kind == "message_start":
            message = event.message
            self.message_id, self.model = message.id, message.model
            self.start_usage = self.usage = message.usage
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self.usage = event.usage

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        texts, calls, thoughts = [], [], []
        redacted = 0
        for index in sorted(self.blocks):
            kind, block_id, name, parts = self.blocks[index]
            if kind == "text":
                texts.append("".join(parts))
            elif kind == "tool_use":
                calls.append((block_id, name, "".join(parts) or "{}"))
            elif kind == "thinking":
                thoughts.append("".join(parts))
            elif kind == "redacted_thinking":
                redacted += 1
        text = "".join(texts) if texts else None
        _result(attributes, policy, text, calls, self.message_id, self.model, self.stop_reason)
        _reasoning(attributes, policy, thoughts, redacted)
        if self.usage is not None:
            _usage(attributes, self.usage, self.start_usage if self.usage is not self.start_usage else None)
        return attributes
