"""The framework run live in this context: spans neatlogs starts beneath it take its span as parent.

Frameworks report their steps through callbacks (LangChain's ``on_*_start`` / ``on_*_end``), and
a callback cannot safely make its span the current OpenTelemetry context: the end may run in
another context than the start (LangChain's shielded async ends run in a copy), a streamed
model call starts inside a generator whose body pauses at every chunk, and an attached
context that is never detached makes every later span a child of a finished one, or floods
"Failed to detach context". So a framework's start callback only sets a ContextVar of ours
to its run (:func:`enter`), and the places where neatlogs starts spans (a model call under
``_llm``, ``@span`` / ``trace()``) ask :func:`parent_context` for their parent. A run that
has ended is skipped for its nearest live ancestor, so a value left behind in a context that
could not be reset (:func:`leave` from another context) never parents anything.
"""

from __future__ import annotations

import contextvars

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

__all__ = ["FrameworkRun", "enter", "leave", "parent_context"]


class FrameworkRun:
    """One framework step with a span: its parent step, and whether it is still running."""

    __slots__ = ("span", "parent", "live", "token")

    def __init__(self, span: Any, parent: FrameworkRun | None) -> None:
        self.span = span
        self.parent = parent
        self.live = True
        self.token: Any = None


_current: contextvars.ContextVar[FrameworkRun | None] = contextvars.ContextVar("neatlogs_framework_run", default=None)

_trace: Any = None
"""``opentelemetry.trace``, loaded by the first lookup that finds a run."""


def enter(run: FrameworkRun) -> None:
    """Make ``run`` the framework run of this context (its start callback's)."""
    run.token = _current.set(run)


def leave(run: FrameworkRun) -> None:
    """Mark ``run`` ended and, when called in the context that entered it, restore the previous run.

    From another context (a copy the framework runs its end callback in) the reset is not
    possible; the value left there is an ended run, which :func:`parent_context` skips.
    """
    run.live = False
    token, run.token = run.token, None
    if token is None:
        return
    try:
        _current.reset(token)
    except (ValueError, RuntimeError):
        pass  # entered in another Context (or reset already): the ended run stays, and is skipped


def parent_context() -> Any:
    """The OpenTelemetry context a span starting here should have, or None for the current one.

    That is the innermost live framework run's span, unless the current OpenTelemetry span
    started after it (a ``@span`` inside a tool: that one is nearer).
    """
    run = _current.get()
    if run is None:
        return None
    while run is not None and not run.live:
        run = run.parent
    if run is None or run.span is None:
        return None
    global _trace
    if _trace is None:
        from opentelemetry import trace

        _trace = trace
    span = run.span
    current = _trace.get_current_span()
    if current is not span and current.is_recording():
        started, own = getattr(current, "start_time", None), getattr(span, "start_time", None)
        if isinstance(started, int) and isinstance(own, int) and started >= own:
            return None
    return _trace.set_span_in_context(span)
