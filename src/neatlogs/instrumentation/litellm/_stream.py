"""litellm streams: rebuild a streamed completion from its OpenAI-shaped chunks (``ModelResponseStream``).

Fed every chunk the program receives from litellm's ``CustomStreamWrapper``; when the
stream ends, on any path, it turns what it saw into the attributes a plain call records:
text and tool calls per choice, finish reasons, reasoning (``reasoning_content`` deltas),
and usage, which litellm puts on a final chunk when the program asked for it
(``stream_options={"include_usage": True}``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from ..._content import ContentPolicy

from ... import semconv
from .._llm.attributes import finish_attributes, output_text, output_value
from .._llm.messages import flatten_messages, get
from ._extract import answered_provider, reasoning_attributes, usage

__all__ = ["CompletionStreamAccumulator"]


class _Choice:
    __slots__ = ("role", "parts", "tool_calls", "finish_reason")

    def __init__(self) -> None:
        self.role: str | None = None
        self.parts: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}  # index -> [id, name, argument parts]
        self.finish_reason: str | None = None


class CompletionStreamAccumulator:
    """Accumulates litellm stream chunks: text, tool calls by index, finish reasons, reasoning, usage."""

    __slots__ = ("choices", "response_id", "model", "usage", "reasoning", "redacted", "last")

    def __init__(self) -> None:
        self.choices: dict[int, _Choice] = {}
        self.response_id: Any = None
        self.model: Any = None
        self.usage: Any = None
        self.reasoning: list[str] = []
        self.redacted: set[Any] = set()  # indexes of redacted thinking blocks seen
        self.last: Any = None

    def feed(self, chunk: Any) -> None:
        """Take one chunk as the program received it."""
        self.last = chunk
        if self.response_id is None:
            self.response_id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
        value = getattr(chunk, "usage", None)
        if value is not None:
            self.usage = value
        for choice in getattr(chunk, "choices", None) or ():
            index = getattr(choice, "index", 0) or 0
            state = self.choices.get(index)
            if state is None:
                state = self.choices[index] = _Choice()
            reason = getattr(choice, "finish_reason", None)
            if reason:
                state.finish_reason = reason
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            self._delta(state, delta)

    def _delta(self, state: _Choice, delta: Any) -> None:
        if delta.role:
            state.role = delta.role
        if delta.content:
            state.parts.append(delta.content)
        thought = getattr(delta, "reasoning_content", None)
        if thought:
            self.reasoning.append(thought)
        for block in getattr(delta, "thinking_blocks", None) or ():
            if get(block, "type") == "redacted_thinking":
                self.redacted.add(get(block, "index", len(self.redacted)))
        for tool_call in delta.tool_calls or ():
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
        reasoning_attributes(attributes, policy, "".join(self.reasoning), len(self.redacted))
        usage(attributes, self.usage)
        if self.last is not None:
            answered_provider(attributes, self.last)
        return attributes
