"""The tool runner's function tools (``@beta_tool`` / ``@beta_async_tool``) as TOOL spans.

``client.beta.messages.tool_runner(tools=[...])`` runs each tool the model asks for through
its ``call(input)`` (``BetaFunctionTool`` / ``BetaAsyncFunctionTool``, in
https://github.com/anthropics/anthropic-sdk-python/blob/main/src/anthropic/lib/tools/_beta_functions.py).
Wrapping it gives every run of a tool its span, between the model calls of the runner's loop:
the tool's name, its arguments and its result through the content policy (``trace()``), an
error recorded and raised on to the runner, which answers the model with it.
"""

from __future__ import annotations

import functools
import inspect

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

__all__ = ["wrap_tool_call"]


def _attributes(name: str) -> dict[str, Any]:
    from ... import semconv

    return {semconv.TOOL_NAME: name, semconv.GEN_AI_TOOL_NAME: name, semconv.GEN_AI_OPERATION_NAME: "execute_tool"}


def wrap_tool_call(original: Callable[..., Any], operation: Any, is_async: bool) -> Callable[..., Any]:
    """A function tool's ``call(input)`` that runs inside a TOOL span named after the tool."""
    from ...spans import trace

    if inspect.iscoroutinefunction(original):
        @functools.wraps(original)
        async def call_async(self: Any, input: Any) -> Any:
            name = str(getattr(self, "name", None) or "tool")
            async with trace(name, kind="TOOL", **_attributes(name)) as span:
                span.set_input(input)
                result = await original(self, input)
                span.set_output(result)
                return result

        return call_async

    @functools.wraps(original)
    def call(self: Any, input: Any) -> Any:
        name = str(getattr(self, "name", None) or "tool")
        with trace(name, kind="TOOL", **_attributes(name)) as span:
            span.set_input(input)
            result = original(self, input)
            span.set_output(result)
            return result

    return call
