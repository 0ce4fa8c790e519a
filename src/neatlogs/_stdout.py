"""``capture_stdout=True`` on a span: what the code inside it prints is recorded, and still printed.

While such a span is current, ``sys.stdout`` is a pass-through wrapper: every write goes to
the stream that was there before, and is also kept for the spans capturing in the writer's
own context (a context variable), so a print from another thread or task is not taken into
a span it does not belong to. The wrapper is installed on first use and stays; a program
that replaces ``sys.stdout`` afterwards gets it wrapped again at the next capturing span.
"""

from __future__ import annotations

import contextvars
import sys
from typing import Any

__all__ = ["MAX_CHARS", "start", "stop"]

MAX_CHARS = 64 * 1024
"""Characters kept per span (the content policy then applies its own limit)."""

_capturing: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar("neatlogs_stdout", default=())


class _Tee:
    """``sys.stdout`` while spans capture: writes pass through; everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        for buffer in _capturing.get():
            if sum(map(len, buffer)) < MAX_CHARS:
                buffer.append(text)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def start() -> tuple[list[str], contextvars.Token]:
    """Begin capturing in this context; pass the result to :func:`stop`."""
    if not isinstance(sys.stdout, _Tee) and sys.stdout is not None:
        sys.stdout = _Tee(sys.stdout)
    buffer: list[str] = []
    return buffer, _capturing.set((*_capturing.get(), buffer))


def stop(capture: tuple[list[str], contextvars.Token]) -> str:
    """End a capture begun by :func:`start`; what was printed meanwhile."""
    buffer, token = capture
    try:
        _capturing.reset(token)
    except ValueError:  # reset from another context (a generator resumed elsewhere): drop ours only
        _capturing.set(tuple(b for b in _capturing.get() if b is not buffer))
    return "".join(buffer)[:MAX_CHARS]
