"""Anthropic instrumentation: ``messages.create`` (sync, async, streamed), ``parse`` and ``stream()``, one span each.

The same for ``beta.messages`` (tool runners, threads, fallbacks, the MCP connector and other
beta features send through it), and a tool runner's function tools as TOOL spans (``_tools.py``).

A provider folder like any other: the methods to patch are listed here, the request,
response and stream extraction is in ``_extract.py``, the ``stream()`` helper's own wrapper
in ``_stream_helper.py``; the engine (``instrumentation/_llm``) does the rest. While
instrumented, the SDK's own call spans (and the ``traceparent`` header they add) are off for
clients the program gave no ``open_telemetry`` option (``_sdk_tracing.py``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget
from ._sdk_tracing import wrap_copy_open_telemetry, wrap_set_open_telemetry, wrap_tracer
from ._stream_helper import wrap_stream_helper
from ._tools import wrap_tool_call

__all__ = ["instrument", "uninstrument"]

_MODULE = "anthropic.resources.messages"
_BETA_MODULE = "anthropic.resources.beta.messages.messages"
_CLASSES = ("Messages", "AsyncMessages")
TARGETS = (
    PatchTarget(_MODULE, _CLASSES, ("create", "parse"), "chat"),
    PatchTarget(_MODULE, _CLASSES, ("stream",), "chat", wrap_stream_helper),
    PatchTarget(_BETA_MODULE, _CLASSES, ("create", "parse"), "chat"),
    PatchTarget(_BETA_MODULE, _CLASSES, ("stream",), "chat", wrap_stream_helper),
    # The tool runner's function tools: a TOOL span each time one runs.
    PatchTarget("anthropic.lib.tools._beta_functions", ("BetaFunctionTool", "BetaAsyncFunctionTool"), ("call",), "tool",
                wrap_tool_call),
    # Not traced calls: the SDK's own tracing, off for clients given no open_telemetry option.
    PatchTarget("anthropic._base_client", ("BaseClient",), ("_set_open_telemetry",), "chat", wrap_set_open_telemetry),
    PatchTarget("anthropic._base_client", ("BaseClient",), ("_copy_open_telemetry",), "chat", wrap_copy_open_telemetry),
    PatchTarget("anthropic._base_client", ("BaseClient",), ("_tracer",), "chat", wrap_tracer),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.stainless import StainlessOperation, raw_response_header
    from ._extract import MessagesStreamAccumulator, messages_request, messages_response

    return StainlessOperation(
        "chat", messages_request, messages_response, MessagesStreamAccumulator, raw_response_header(library)
    )


_instrumentor = ClientInstrumentor("anthropic", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
