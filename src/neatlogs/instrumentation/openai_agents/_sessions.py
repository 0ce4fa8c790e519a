"""The Agents SDK ``Session`` a run was given (``Runner.run(..., session=SQLiteSession("id"))``), for its trace.

Else the OpenAI conversation it continues (``conversation_id=``).

The SDK's trace carries ``group_id`` but not the run's memory session, so we wrap
``AgentRunner.run`` and ``run_streamed`` (``Runner.run_sync`` goes through ``run``;
https://github.com/openai/openai-agents-python/blob/main/src/agents/run.py) to keep the
session's id in a contextvar while the run starts its trace. The trace processor reads it
when the trace has no ``group_id``. ``run_streamed`` starts its trace in a task it creates
before returning: the task copies our contextvar with the rest of the context.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

import contextvars
import functools

from ... import _log

__all__ = ["current", "install", "uninstall"]

_session_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("neatlogs_agents_session", default=None)
_patched: dict[str, Any] = {}


def current() -> str | None:
    """The id of the Agents SDK session of the run being started here, if it was given one."""
    return _session_id.get()


def _id_of(kwargs: dict[str, Any]) -> str | None:
    session = kwargs.get("session")
    if session is None:  # else a conversation the OpenAI API keeps (``Runner.run(..., conversation_id=...)``)
        conversation = kwargs.get("conversation_id")
        return (conversation.strip() or None) if isinstance(conversation, str) else None
    try:
        value = session.session_id
    except Exception:  # a Session of the program's own that cannot say: no session id then
        _log.debug("the run's session has no readable session_id", exc_info=True)
        return None
    return (value.strip() or None) if isinstance(value, str) else None


def install(runner_class: Any) -> None:
    """Wrap ``runner_class.run`` / ``run_streamed`` once, to expose the run's session id."""
    if _patched:
        return
    run, run_streamed = getattr(runner_class, "run", None), getattr(runner_class, "run_streamed", None)
    if not callable(run) or not callable(run_streamed):
        _log.debug("the Agents SDK's AgentRunner has changed shape; its sessions are not read")
        return

    @functools.wraps(run)
    async def traced_run(self: Any, starting_agent: Any, input: Any, **kwargs: Any) -> Any:
        token = _session_id.set(_id_of(kwargs))
        try:
            return await run(self, starting_agent, input, **kwargs)
        finally:
            _session_id.reset(token)

    @functools.wraps(run_streamed)
    def traced_run_streamed(self: Any, starting_agent: Any, input: Any, **kwargs: Any) -> Any:
        token = _session_id.set(_id_of(kwargs))
        try:
            return run_streamed(self, starting_agent, input, **kwargs)
        finally:
            _session_id.reset(token)

    _patched.update(cls=runner_class, run=run, run_streamed=run_streamed)
    runner_class.run = traced_run
    runner_class.run_streamed = traced_run_streamed


def uninstall() -> None:
    """Put ``AgentRunner``'s own methods back."""
    runner_class = _patched.pop("cls", None)
    if runner_class is not None:
        runner_class.run = _patched["run"]
        runner_class.run_streamed = _patched["run_streamed"]
    _patched.clear()
