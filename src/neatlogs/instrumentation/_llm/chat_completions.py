"""The OpenAI chat-completions format, which many providers speak: requests, responses and streams as attributes.

openai's ``chat.completions``, groq's (a Stainless client of the same shape) and every
OpenAI-compatible endpoint send ``messages`` with roles, text or content parts, tool calls
and tool results, and answer ``choices`` of messages (or streamed deltas) with finish reasons
and ``usage``. :class:`ChatCompletions` reads that format for one provider name; provider
folders use it instead of copying it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from .attributes import (
    finish_attributes,
    input_value,
    invocation_parameters,
    output_text,
    output_value,
    request_attributes,
    usage_attributes,
)
from .messages import flatten_messages, get, is_given, text_of

__all__ = ["ChatCompletions", "ChatStreamAccumulator", "chat_messages", "chat_usage_attributes", "tool_calls_of"]

CONTENT_ARGUMENTS = frozenset({"model", "messages", "prediction"})
"""Keyword arguments that are the call's content, not its invocation parameters."""


class ChatCompletions:
    """The chat-completions format of one provider: ``request``, ``response`` and ``accumulator`` for an operation."""

    __slots__ = ("provider",)

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def request(self, kwargs: dict[str, Any], policy: ContentPolicy) -> dict[str, Any]:
        """Start attributes of a ``chat.completions.create`` / ``parse`` call."""
        parameters = invocation_parameters(kwargs, CONTENT_ARGUMENTS)
        attributes = request_attributes("LLM", "chat", self.provider, kwargs.get("model"), parameters)
        messages: Any = kwargs.get("messages")
        if is_given(messages):
            if not isinstance(messages, (list, tuple)):
                messages = list(messages)  # an iterable the client would consume only once
                kwargs["messages"] = messages
            flatten_messages(semconv.LLM_INPUT_MESSAGES, chat_messages(messages), attributes, policy)
            input_value(attributes, policy, messages)
        return attributes

    def response(self, response: Any, policy: ContentPolicy) -> dict[str, Any]:
        """Final attributes of a ``ChatCompletion`` (or a parsed one)."""
        return chat_response(response, policy)

    @staticmethod
    def accumulator() -> ChatStreamAccumulator:
        """A new accumulator for one streamed call."""
        return ChatStreamAccumulator()


def tool_calls_of(calls: Any) -> list[tuple[Any, Any, Any]]:
    """``(id, name, arguments)`` of each tool call of a message (dicts or model objects)."""
    if not calls:
        return []
    out = []
    for tool_call in calls:
        function = get(tool_call, "function")
        out.append((get(tool_call, "id"), get(function, "name"), get(function, "arguments")))
    return out


def chat_messages(messages: Any) -> Any:
    """Chat-completions request messages (dicts or objects) as message tuples."""
    for message in messages or ():
        yield (
            get(message, "role"),
            text_of(get(message, "content")),
            tool_calls_of(get(message, "tool_calls")),
            get(message, "tool_call_id"),
        )


def chat_response(response: Any, policy: ContentPolicy) -> dict[str, Any]:
    """Final attributes of a ``ChatCompletion`` (or ``ParsedChatCompletion``)."""
    attributes: dict[str, Any] = {}
    messages, texts, calls, reasons = [], [], [], []
    # The client always returns model objects here: plain getattr, no dict check.
    for choice in getattr(response, "choices", None) or ():
        message = getattr(choice, "message", None)
        text = text_of(getattr(message, "content", None))
        tool_calls = tool_calls_of(getattr(message, "tool_calls", None))
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


class _Choice:
    __slots__ = ("role", "parts", "tool_calls", "finish_reason")

    def __init__(self) -> None:
        self.role: str | None = None
        self.parts: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}  # index -> [id, name, argument parts]
        self.finish_reason: str | None = None


class ChatStreamAccumulator:
    """Accumulates ``ChatCompletionChunk`` deltas: text, tool calls by index, finish reason, usage.

    A provider whose chunks carry more (litellm's reasoning, say) subclasses it and extends
    :meth:`delta` and :meth:`attributes`; :meth:`usage_attributes` reads its ``usage``.
    """

    __slots__ = ("choices", "response_id", "model", "usage")

    def __init__(self) -> None:
        self.choices: dict[int, _Choice] = {}
        self.response_id: str | None = None
        self.model: str | None = None
        self.usage: Any = None

    def feed(self, chunk: Any) -> None:
        """Take one chunk as the program received it."""
        if self.response_id is None:
            self.response_id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            index = choice.index or 0
            state = self.choices.get(index)
            if state is None:
                state = self.choices[index] = _Choice()
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
            delta = choice.delta
            if delta is not None:
                self.delta(state, delta)

    def delta(self, state: _Choice, delta: Any) -> None:
        """Take one choice's delta: its role, text and tool-call pieces."""
        if delta.role:
            state.role = delta.role
        if delta.content:
            state.parts.append(delta.content)
        if delta.tool_calls:
            for tool_call in delta.tool_calls:
                slot = state.tool_calls.get(tool_call.index)
                if slot is None:
                    slot = state.tool_calls[tool_call.index] = [None, None, []]
                if tool_call.id:
                    slot[0] = tool_call.id
                function = tool_call.function
                if function is not None:
                    if function.name:
                        slot[1] = function.name
                    if function.arguments:
                        slot[2].append(function.arguments)

    def usage_attributes(self, attributes: dict[str, Any]) -> None:
        """The token counts of the ``usage`` the stream reported, if it did."""
        chat_usage_attributes(attributes, self.usage)

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        messages, texts, calls, reasons = [], [], [], []
        for index in sorted(self.choices):
            state = self.choices[index]
            text = "".join(state.parts) if state.parts else None
            tool_calls = [(s[0], s[1], "".join(s[2])) for _, s in sorted(state.tool_calls.items())]
            messages.append((state.role or "assistant", text, tool_calls, None))
            texts.append(text)
            calls.append(tool_calls)
            if state.finish_reason:
                reasons.append(str(state.finish_reason))
        flatten_messages(semconv.LLM_OUTPUT_MESSAGES, messages, attributes, policy)
        output_value(attributes, policy, output_text(texts, calls))
        finish_attributes(attributes, self.response_id, self.model, reasons)
        self.usage_attributes(attributes)
        return attributes
