"""Stream accumulators: rebuild what a streamed OpenAI call returned, chunk by chunk.

An accumulator is fed every item the program receives and, when the stream ends (on any
path), turns what it saw into the same attributes a plain call records. It stores only
references and short strings, so feeding costs well under a microsecond per chunk.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from .._llm.attributes import finish_attributes, output_text, output_value
from .._llm.messages import flatten_messages, get
from ._extract import chat_usage_attributes, responses_response

__all__ = ["ChatStreamAccumulator", "ResponsesStreamAccumulator"]


class _Choice:
    __slots__ = ("role", "parts", "tool_calls", "finish_reason")

    def __init__(self) -> None:
        self.role: str | None = None
        self.parts: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}  # index -> [id, name, argument parts]
        self.finish_reason: str | None = None


class ChatStreamAccumulator:
    """Accumulates ``ChatCompletionChunk`` deltas: text, tool calls by index, finish reason, usage."""

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
            if delta is None:
                continue
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
        chat_usage_attributes(attributes, self.usage)
        return attributes


class ResponsesStreamAccumulator:
    """Accumulates Responses API stream events; the final ``response.*`` event carries it all."""

    __slots__ = ("final", "started", "parts")

    _FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})

    def __init__(self) -> None:
        self.final: Any = None
        self.started: Any = None
        self.parts: list[str] = []

    def feed(self, event: Any) -> None:
        """Take one stream event as the program received it."""
        kind = getattr(event, "type", None)
        if kind == "response.output_text.delta":
            self.parts.append(event.delta)
        elif kind in self._FINAL:
            self.final = event.response
        elif kind == "response.created":
            self.started = event.response

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes: from the final response, or from the deltas if it never came."""
        if self.final is not None:
            return responses_response(self.final, policy)
        attributes: dict[str, Any] = {}
        text = "".join(self.parts) if self.parts else None
        flatten_messages(semconv.LLM_OUTPUT_MESSAGES, [("assistant", text, (), None)], attributes, policy)
        output_value(attributes, policy, text)
        if self.started is not None:
            finish_attributes(attributes, get(self.started, "id"), get(self.started, "model"), [])
        return attributes
