"""Bedrock ``converse`` / ``converse_stream`` requests, responses and stream events as span attributes.

Converse messages hold content blocks (``text``, ``image``, ``document``, ``toolUse``,
``toolResult``, ...). They are flattened the OpenInference way: text blocks become the
message content, ``toolUse`` blocks tool calls, and a ``toolResult`` block a ``tool``
message answering its ``toolUseId``; any other block is recorded as JSON (bytes shown as
their size, never their content). ``inferenceConfig`` is the invocation parameters.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Iterator

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
from .._llm.messages import flatten_messages, get

__all__ = [
    "PROVIDER",
    "PROVIDER_NAME",
    "ConverseStreamAccumulator",
    "blocks_messages",
    "chat_messages",
    "output_attributes",
    "record_usage",
    "request",
    "response",
    "start_attributes",
]

PROVIDER_NAME = "aws.bedrock"
"""``gen_ai.provider.name``: the GenAI spec's well-known value for AWS Bedrock (semantic-conventions-genai)."""

PROVIDER = "aws"
"""``llm.provider`` / ``llm.system``: OpenInference's ``OpenInferenceLLMProviderValues.AWS``."""

_CONTENT_ARGUMENTS = frozenset({"modelId", "messages", "system", "inferenceConfig", "promptVariables",
                                "requestMetadata"})
"""Keyword arguments that are the call's content (or hold the parameters flattened), not invocation parameters."""


def start_attributes(kind: str, operation: str, model: Any, parameters: str) -> dict[str, Any]:
    """The start attributes every Bedrock call has, with the AWS provider names of both specs."""
    return request_attributes(kind, operation, PROVIDER, model, parameters, genai_provider=PROVIDER_NAME)


def _tool_result_text(content: Any) -> str | None:
    if not isinstance(content, list):
        return None if content is None else to_json(content)
    parts = [b["text"] if isinstance(b, dict) and isinstance(b.get("text"), str) else to_json(b) for b in content]
    return "\n".join(parts)


def blocks_messages(role: Any, content: Any) -> Iterator[Any]:
    """One converse message as flattened messages: its tool results, then its text and tool calls."""
    if content is None or isinstance(content, str):
        yield (role, content, (), None)
        return
    texts, calls, results = [], [], []
    for block in content:
        if not isinstance(block, dict):
            texts.append(to_json(block))
        elif "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"] or {}
            calls.append((use.get("toolUseId"), use.get("name"), to_json(use.get("input"))))
        elif "toolResult" in block:
            result = block["toolResult"] or {}
            results.append(("tool", _tool_result_text(result.get("content")), (), result.get("toolUseId")))
        elif "cachePoint" not in block:
            texts.append(to_json(block))
    # Tool results answer the previous assistant turn, so they come first.
    yield from results
    if texts or calls:
        yield (role, "\n".join(t for t in texts if isinstance(t, str)) or None, calls, None)


def _system_text(system: Any) -> str | None:
    if isinstance(system, str) or system is None:
        return system
    texts = [get(block, "text") for block in system]
    return "\n".join(t for t in texts if isinstance(t, str)) or None


def request(kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
    """Start attributes of ``converse`` / ``converse_stream``."""
    settings = kwargs.get("inferenceConfig")
    flat = {**settings, **kwargs} if isinstance(settings, dict) else kwargs
    parameters = invocation_parameters(flat, _CONTENT_ARGUMENTS)
    attributes = start_attributes("LLM", "chat", kwargs.get("modelId"), parameters)
    chat_messages(attributes, policy, kwargs.get("system"), kwargs.get("messages"))
    return attributes


def chat_messages(attributes: dict[str, Any], policy: ContentPolicy, system: Any, messages: Any) -> None:
    """The system prompt and the messages of content blocks as input messages, and ``input.value``."""
    start = 0
    text = _system_text(system)
    if text is not None:
        start = flatten_messages(semconv.LLM_INPUT_MESSAGES, [("system", text, (), None)], attributes, policy,
                                 instructions=True)
    if isinstance(messages, list):
        flat = (m for message in messages for m in blocks_messages(get(message, "role"), get(message, "content")))
        flatten_messages(semconv.LLM_INPUT_MESSAGES, flat, attributes, policy, start)
        input_value(attributes, policy, messages)


def record_usage(attributes: dict[str, Any], input_tokens: Any, output_tokens: Any, total: Any = None,
                 cache_read: Any = None, cache_write: Any = None) -> None:
    """Token counts, Bedrock's way: its input count leaves out cache reads and writes, so they are added."""
    prompt = input_tokens
    if isinstance(prompt, int):
        prompt += (cache_read if isinstance(cache_read, int) else 0) + (cache_write if isinstance(cache_write, int)
                                                                          else 0)
    usage_attributes(attributes, prompt, output_tokens, total, cache_read, None, cache_write)


def output_attributes(attributes: dict[str, Any], policy: ContentPolicy, text: Any, calls: list[Any],
                      response_id: Any, model: Any, stop: Any) -> None:
    """The reply: one assistant message, ``output.value``, id, model and finish reason."""
    flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, calls, None)], attributes, policy)
    output_value(attributes, policy, output_text([text], [calls]))
    finish_attributes(attributes, response_id, model, [str(stop)] if stop else [])


def _usage(attributes: dict[str, Any], usage: Any) -> None:
    if isinstance(usage, dict):
        # converse says cacheReadInputTokens; Nova's invoke_model body cacheReadInputTokenCount.
        record_usage(attributes, usage.get("inputTokens"), usage.get("outputTokens"), usage.get("totalTokens"),
                     usage.get("cacheReadInputTokens", usage.get("cacheReadInputTokenCount")),
                     usage.get("cacheWriteInputTokens", usage.get("cacheWriteInputTokenCount")))


def response(result: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a converse response dict (or a Nova ``invoke_model`` body, the same shape)."""
    attributes: dict[str, Any] = {}
    message = get(get(result, "output"), "message") or {}
    texts, calls = [], []
    for block in get(message, "content") or ():
        if "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"] or {}
            calls.append((use.get("toolUseId"), use.get("name"), to_json(use.get("input"))))
    text = "".join(t for t in texts if isinstance(t, str)) if texts else None
    output_attributes(attributes, policy, text, calls, None, None, get(result, "stopReason"))
    _usage(attributes, get(result, "usage"))
    return attributes


class ConverseStreamAccumulator:
    """Accumulates converse stream events: text and tool-use blocks by index, stop reason, usage."""

    __slots__ = ("blocks", "stop_reason", "usage", "response_id", "model")

    def __init__(self) -> None:
        self.blocks: dict[int, list[Any]] = {}  # index -> [kind, id, name, parts]
        self.stop_reason: Any = None
        self.usage: Any = None
        self.response_id: Any = None
        self.model: Any = None

    def feed(self, event: Any) -> None:
        """Take one stream event (``{"contentBlockDelta": {...}}`` and the like)."""
        self.feed_event(event)

    def _block(self, index: Any, kind: str) -> list[Any]:
        block = self.blocks.get(index)
        if block is None:
            block = self.blocks[index] = [kind, None, None, []]
        return block

    def feed_event(self, event: dict[str, Any]) -> None:
        """One converse-shaped event, from ``converse_stream`` or a Nova model's own stream."""
        delta = event.get("contentBlockDelta")
        if delta is not None:
            change = delta.get("delta") or {}
            text = change.get("text")
            if text is not None:
                self._block(delta.get("contentBlockIndex"), "text")[3].append(text)
            else:
                use = change.get("toolUse")
                if use is not None:
                    self._block(delta.get("contentBlockIndex"), "toolUse")[3].append(use.get("input") or "")
            return
        start = event.get("contentBlockStart")
        if start is not None:
            use = (start.get("start") or {}).get("toolUse")
            if use is not None:
                block = self._block(start.get("contentBlockIndex"), "toolUse")
                block[0], block[1], block[2] = "toolUse", use.get("toolUseId"), use.get("name")
            return
        stop = event.get("messageStop")
        if stop is not None:
            self.stop_reason = stop.get("stopReason") or self.stop_reason
            return
        metadata = event.get("metadata")
        if metadata is not None:
            self.usage = metadata.get("usage") or self.usage

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        texts, calls = [], []
        for index in sorted(self.blocks, key=lambda i: i if isinstance(i, int) else 0):
            kind, block_id, name, parts = self.blocks[index]
            if kind == "toolUse":
                calls.append((block_id, name, "".join(parts) or "{}"))
            else:
                texts.append("".join(parts))
        text = "".join(texts) if texts else None
        output_attributes(attributes, policy, text, calls, self.response_id, self.model, self.stop_reason)
        self.usage_into(attributes)
        return attributes

    def usage_into(self, attributes: dict[str, Any]) -> None:
        """The token counts seen, written into ``attributes``."""
        _usage(attributes, self.usage)
