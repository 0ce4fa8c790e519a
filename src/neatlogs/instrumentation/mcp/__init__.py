"""MCP (the ``mcp`` package's client): each ``ClientSession.call_tool`` is one TOOL span.

The span (``tools/call {tool}``, kind TOOL, so the views show it as a tool step) carries the
tool's name (``tool.name``, ``gen_ai.tool.name``), ``gen_ai.operation.name`` =
``execute_tool`` and ``mcp.method.name`` = ``tools/call`` (the MCP conventions of
semantic-conventions-genai, gen-ai/mcp.md), the server's name from its initialize result,
the arguments as ``input.value`` and the result as ``output.value`` (both through the
content policy). When a framework's GenAI ``execute_tool`` span of the same tool is current,
that span gets the MCP attributes instead of a second span (the MCP conventions' rule). A
result with ``isError`` ends it with status ERROR and ``error.type``
``tool_error``, as the MCP conventions say; an exception ends it with ERROR and is re-raised.

Under ``neatlogs run``, a stdio server the program starts gets the run's bootstrap and
settings, which the mcp client's short list of inherited variables leaves out
(``stdio_environment``), so a Python server is traced in the run's session. Trace context
reaches the server in the request's ``params._meta`` (``traceparent``, SEP-414).
mcp 2.x does that itself: its dispatcher injects the context of its own ``MCP send`` client
span (which runs inside ours) and its low-level ``Server`` extracts it for its server span
(``mcp/shared/_otel.py``, ``mcp/server/_otel.py``), so a server run under ``neatlogs run``
records that span, and every span its tool makes, in the client's trace. A release without
that propagation (mcp 1.x) gets ``traceparent`` in the ``meta`` it sends from here instead.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _content, _log, semconv, tracing

__all__ = ["instrument", "instrument_session_module", "uninstrument"]

_SERVER_NAME = "_neatlogs_mcp_server_name"
"""ClientSession instance attribute: the server's name, noted when ``initialize()`` returns."""

_CALL_TOOL = "tools/call"
_EXECUTE_TOOL = "execute_tool"
_TOOL_ERROR = "tool_error"


def _server_name(session: Any) -> str | None:
    name = session.__dict__.get(_SERVER_NAME) if hasattr(session, "__dict__") else None
    if name is None:
        info = getattr(session, "server_info", None)  # mcp 2.x
        name = getattr(info, "name", None)
    return name if isinstance(name, str) else None


def _wrap_initialize(original: Callable[..., Any], _operation: Any, _is_async: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    async def initialize(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, *args, **kwargs)
        try:
            info = getattr(result, "server_info", None) or getattr(result, "serverInfo", None)
            name = getattr(info, "name", None)
            if isinstance(name, str):
                self.__dict__[_SERVER_NAME] = name
        except Exception:
            _log.internal_error("noting the MCP server's name failed")
        return result

    return initialize


def _result_value(result: Any) -> Any:
    """What a ``CallToolResult`` returned: its structured content, else its text, else its content blocks."""
    structured = getattr(result, "structured_content", None)
    if structured is None:
        structured = getattr(result, "structuredContent", None)
    if structured is not None:
        return structured
    content = getattr(result, "content", None) or []
    texts = [getattr(block, "text", None) for block in content]
    if texts and all(isinstance(t, str) for t in texts):
        return "\n".join(texts)  # type: ignore[arg-type]
    return [block.model_dump(mode="json") if hasattr(block, "model_dump") else block for block in content]


def _is_error(result: Any) -> bool:
    flag = getattr(result, "is_error", None)
    if flag is None:
        flag = getattr(result, "isError", None)
    return flag is True


def _sdk_propagates() -> bool:
    """True when the installed mcp puts trace context in ``params._meta`` itself (mcp 2.x)."""
    import importlib.util

    try:
        return importlib.util.find_spec("mcp.shared._otel") is not None
    except (ImportError, ValueError):
        return False


def _start(self: Any, name: Any, arguments: Any) -> tuple[Any, Any, Any]:
    """Start the TOOL span and make it current; (span, context token, policy), or Nones when not tracing."""
    tracer = tracing.get_tracer()
    if tracer is None:
        return None, None, None
    from opentelemetry import context
    from opentelemetry.trace import set_span_in_context

    policy = _content.current()
    tool = str(name)
    attributes: dict[str, Any] = {
        semconv.OPENINFERENCE_SPAN_KIND: "TOOL",
        semconv.TOOL_NAME: tool,
        semconv.GEN_AI_TOOL_NAME: tool,
        semconv.GEN_AI_OPERATION_NAME: _EXECUTE_TOOL,
        semconv.MCP_METHOD_NAME: _CALL_TOOL,
    }
    server = _server_name(self)
    if server is not None:
        attributes[semconv.NEATLOGS_MCP_SERVER_NAME] = server
    version = getattr(self, "protocol_version", None)
    if isinstance(version, str):
        attributes[semconv.MCP_PROTOCOL_VERSION] = version
    attributes.update(policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, arguments or {}))
    span = tracer.start_span(f"{_CALL_TOOL} {tool}", attributes=attributes)
    token = context.attach(set_span_in_context(span))
    return span, token, policy


def _finish(span: Any, token: Any, policy: Any, result: Any, error: BaseException | None) -> None:
    from opentelemetry import context
    from opentelemetry.trace import Status, StatusCode

    try:
        context.detach(token)
    except Exception:
        _log.internal_error("detaching the MCP tool span's context failed")
    try:
        if error is not None:
            span.record_exception(error, escaped=True)
            span.set_attribute(semconv.ERROR_TYPE, type(error).__qualname__)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:1000]))
        else:
            value = _result_value(result)
            span.set_attributes(policy.value_attributes(semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, value))
            if _is_error(result):
                span.set_attribute(semconv.ERROR_TYPE, _TOOL_ERROR)
                text = policy.text(value) if isinstance(value, str) else None
                span.set_status(Status(StatusCode.ERROR, (text or _TOOL_ERROR)[:1000]))
            else:
                span.set_status(Status(StatusCode.OK))
        span.end()
    except Exception:
        _log.internal_error("ending the MCP tool span failed")


def _joined_outer_tool_span(session: Any, name: Any) -> bool:
    """True when the current span already traces this tool's execution (a framework's GenAI
    ``execute_tool`` span of the same tool): it gets the MCP attributes instead of a second
    span, as the MCP conventions ask (gen-ai/mcp.md, "Client")."""
    if not tracing.is_enabled():
        return False
    from opentelemetry.trace import get_current_span

    outer = get_current_span()
    attributes = getattr(outer, "attributes", None)
    if not attributes or not outer.is_recording():
        return False
    if attributes.get(semconv.GEN_AI_OPERATION_NAME) != _EXECUTE_TOOL:
        return False
    if attributes.get(semconv.GEN_AI_TOOL_NAME) != name:
        return False
    if attributes.get(semconv.MCP_METHOD_NAME) is not None:  # one of ours, or already joined
        return False
    joined: dict[str, Any] = {semconv.MCP_METHOD_NAME: _CALL_TOOL}
    server = _server_name(session)
    if server is not None:
        joined[semconv.NEATLOGS_MCP_SERVER_NAME] = server
    outer.set_attributes(joined)
    return True


def _with_trace_context(kwargs: dict[str, Any]) -> None:
    """mcp 1.x: the current context's ``traceparent`` in the ``meta`` the request sends (SEP-414)."""
    from opentelemetry.propagate import inject

    meta = dict(kwargs.get("meta") or {})
    inject(meta)
    kwargs["meta"] = meta


def _wrap_call_tool(original: Callable[..., Any], _operation: Any, _is_async: bool) -> Callable[..., Any]:
    import inspect

    try:
        takes_meta = "meta" in inspect.signature(original).parameters
    except (TypeError, ValueError):
        takes_meta = False
    inject_here = takes_meta and not _sdk_propagates()

    @functools.wraps(original)
    async def call_tool(self: Any, name: Any, arguments: Any = None, *args: Any, **kwargs: Any) -> Any:
        try:
            if _joined_outer_tool_span(self, name):
                if inject_here:
                    _with_trace_context(kwargs)
                return await original(self, name, arguments, *args, **kwargs)
            span, token, policy = _start(self, name, arguments)
            if span is not None and inject_here:
                _with_trace_context(kwargs)
        except Exception:
            _log.internal_error("starting the MCP tool span failed")
            span = None
        if span is None:
            return await original(self, name, arguments, *args, **kwargs)
        try:
            result = await original(self, name, arguments, *args, **kwargs)
        except BaseException as error:
            _finish(span, token, policy, None, error)
            raise
        _finish(span, token, policy, result, None)
        return result

    return call_tool


def instrument(module: Any) -> None:
    """Patch ``ClientSession.call_tool`` and ``initialize`` and the stdio servers' environment (idempotent).

    Each is patched now, or when its module (``mcp.client.session``, ``mcp.client.stdio``) loads.
    """
    from ..._import_hooks import when_imported
    from .stdio_environment import instrument_stdio_module

    when_imported("mcp.client.session", instrument_session_module)
    when_imported("mcp.client.stdio", instrument_stdio_module)


def instrument_session_module(session_module: Any) -> None:
    """Patch the ``ClientSession`` of ``mcp.client.session``."""
    from .._llm.patching import patch_method

    cls = getattr(session_module, "ClientSession", None)
    if not isinstance(cls, type):
        _log.debug("mcp.client.session has no ClientSession: left as it is")
        return
    patch_method(cls, "initialize", None, True, _wrap_initialize)  # type: ignore[arg-type]
    patch_method(cls, "call_tool", None, True, _wrap_call_tool)  # type: ignore[arg-type]


def uninstrument() -> None:
    """Restore ``ClientSession``'s methods."""
    from .._llm.patching import unpatch_all

    unpatch_all("mcp")
