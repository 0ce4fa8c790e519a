"""The base of our enriching span processors: they act at span start and nowhere else."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["StartOnlySpanProcessor"]


class StartOnlySpanProcessor:
    """A span processor whose only work is ``on_start``; every other hook does nothing."""

    def __init__(self) -> None:
        # Loaded with the processor, at the first span, rather than by `import neatlogs`.
        from ._fast_attributes import set_clean_attributes

        self._set_attributes = set_clean_attributes

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        pass

    def on_end(self, span: Any) -> None:
        pass

    def _on_ending(self, span: Any) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
