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
from .._llm.attributes import finish_attributes, output_value
from .._llm.messages import flatten_messages, get
from ._extract import completion_attributes, responses_response

__all__ = ["CompletionsStreamAccumulator", "ResponsesStreamAccumulator"]


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


class CompletionsStreamAccumulator:
    """Accumulates a legacy ``completions.create(stream=True)``: text by choice index, finish reasons, usage."""

    __slots__ = ("first", "parts", "reasons", "usage")

    def __init__(self) -> None:
        self.first: Any = None
        self.parts: dict[int, list[str]] = {}
        self.reasons: dict[int, str] = {}
        self.usage: Any = None

    def feed(self, chunk: Any) -> None:
        """Take one ``Completion`` chunk as the program received it."""
        if self.first is None:
            self.first = chunk
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            index = choice.index or 0
            if choice.text:
                self.parts.setdefault(index, []).append(choice.text)
            if choice.finish_reason:
                self.reasons[index] = str(choice.finish_reason)

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes: dict[str, Any] = {}
        indexes = sorted(set(self.parts) | set(self.reasons))
        texts = ["".join(self.parts[i]) if i in self.parts else None for i in indexes]
        reasons = [self.reasons[i] for i in indexes if i in self.reasons]
        completion_attributes(attributes, policy, texts, reasons, self.first, self.usage)
        return attributes
