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

from .._llm.chat_completions import ChatStreamAccumulator
from .._llm.messages import get
from ._extract import answered_provider, reasoning_attributes, usage

__all__ = ["CompletionStreamAccumulator"]


class CompletionStreamAccumulator(ChatStreamAccumulator):
    """Accumulates litellm stream chunks: the chat-completions deltas, plus reasoning and the provider that answered."""

    __slots__ = ("reasoning", "redacted", "last")

    def __init__(self) -> None:
        super().__init__()
        self.reasoning: list[str] = []
        self.redacted: set[Any] = set()  # indexes of redacted thinking blocks seen
        self.last: Any = None

    def feed(self, chunk: Any) -> None:
        """Take one chunk as the program received it."""
        self.last = chunk
        super().feed(chunk)

    def delta(self, state: Any, delta: Any) -> None:
        """The chat-completions delta, and litellm's ``reasoning_content`` and thinking blocks."""
        super().delta(state, delta)
        thought = getattr(delta, "reasoning_content", None)
        if thought:
            self.reasoning.append(thought)
        for block in getattr(delta, "thinking_blocks", None) or ():
            if get(block, "type") == "redacted_thinking":
                self.redacted.add(get(block, "index", len(self.redacted)))

    def usage_attributes(self, attributes: dict[str, Any]) -> None:
        """litellm's usage: cache writes reported the way each provider spells them."""
        usage(attributes, self.usage)

    def attributes(self, policy: ContentPolicy) -> dict[str, Any]:
        """The final attributes of what was received so far."""
        attributes = super().attributes(policy)
        reasoning_attributes(attributes, policy, "".join(self.reasoning), len(self.redacted))
        if self.last is not None:
            answered_provider(attributes, self.last)
        return attributes
