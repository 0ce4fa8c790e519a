"""OpenAI Agents SDK instrumentation: its own tracing, recorded as neatlogs spans through a trace processor.

``instrument(agents)`` runs when the program imports ``agents``. That module name is
generic, so it first checks that it is the Agents SDK (``agents.tracing`` with
``TracingProcessor`` and ``add_trace_processor``). It then adds one
:class:`~._processor.NeatlogsTracingProcessor` with ``agents.add_trace_processor``, beside
the SDK's own export to OpenAI and any processor the program added, and wraps the SDK's
``Scope`` so that while an SDK span is current its OpenTelemetry span is too
(``_context.py``): the openai client call under a model call, and a tool's own spans, nest
under the SDK span that made them. A run's ``Session`` (``session=SQLiteSession(id)``) is read
from ``AgentRunner.run`` / ``run_streamed`` (``_sessions.py``): its id is the trace's session
when the trace has no ``group_id``. ``neatlogs.openai_agents_processor()`` returns the same
processor, for programs that add it themselves; added twice, it still records each span once.
Idempotent; ``uninstrument()`` turns the processor off and puts ``Scope`` back.

A program that replaces the SDK's processors (``set_trace_processors([...])``, often to stop
the export to OpenAI when it uses another model provider) keeps ours: the default provider's
``set_processors`` is wrapped to put it back in the new list. A program that turns the SDK's
tracing off (``set_tracing_disabled(True)``, ``OPENAI_AGENTS_DISABLE_TRACING``) gets no SDK
spans from us either; its model calls are still traced by the client instrumentation.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

import sys

from ... import _log

__all__ = ["instrument", "processor", "uninstrument"]

_processor: Any = None
_registered = False


def _tracing_module(load: bool = False) -> Any:
    """``agents.tracing`` when ``agents`` is the OpenAI Agents SDK, else None (imported only when ``load``)."""
    module = sys.modules.get("agents.tracing")
    if module is None and load:
        try:
            import importlib

            module = importlib.import_module("agents.tracing")
        except ImportError:
            return None
    if module is None or not all(hasattr(module, name) for name in _SDK_NAMES):
        return None
    return module


_SDK_NAMES = ("TracingProcessor", "add_trace_processor", "get_current_span", "AgentSpanData")
"""Names ``agents.tracing`` of the OpenAI Agents SDK has, and another ``agents`` package most likely not."""


def processor() -> Any:
    """The one neatlogs trace processor of this process, recording (made on first use).

    Raises:
        ImportError: ``agents`` is not the OpenAI Agents SDK.
    """
    global _processor
    if _tracing_module(load=True) is None:
        raise ImportError("the OpenAI Agents SDK (agents.tracing) is not installed")
    from agents.run import AgentRunner
    from agents.tracing.scope import Scope

    from . import _context, _sessions

    if _processor is None:
        from ._processor import NeatlogsTracingProcessor

        _processor = NeatlogsTracingProcessor()
    _processor.enabled = True
    _context.install(Scope, _processor.context_of, _processor.context_of)  # once; again after uninstrument
    _sessions.install(AgentRunner)
    return _processor


def instrument(module: Any) -> None:
    """Add our trace processor to the Agents SDK ``module`` (``agents``); a no-op for another ``agents``."""
    global _registered
    tracing_module = _tracing_module()
    if tracing_module is None or getattr(module, "__name__", None) != "agents":
        _log.debug("the imported 'agents' module is not the OpenAI Agents SDK; not instrumented")
        return
    made = processor()
    if not _registered:
        tracing_module.add_trace_processor(made)
        _keep_in_replaced_lists(made)
        _registered = True


def _keep_in_replaced_lists(made: Any) -> None:
    """Wrap ``DefaultTraceProvider.set_processors`` so a replaced list still holds our processor."""
    provider_module = sys.modules.get("agents.tracing.provider")
    provider_class = getattr(provider_module, "DefaultTraceProvider", None)
    original = getattr(provider_class, "set_processors", None)
    if original is None or getattr(original, "__neatlogs_original__", None) is not None:
        return

    def set_processors(self: Any, processors: Any) -> None:
        processors = list(processors)
        if made.enabled and not any(p is made for p in processors):
            processors.append(made)
        original(self, processors)

    set_processors.__neatlogs_original__ = original  # type: ignore[attr-defined]
    set_processors.__doc__ = original.__doc__
    provider_class.set_processors = set_processors  # type: ignore[union-attr]


def uninstrument() -> None:
    """Stop recording (the processor stays registered with the SDK, inert) and put ``Scope`` back."""
    if _processor is None:
        return
    _processor.enabled = False
    _processor.end_all()
    from . import _context, _sessions

    _context.uninstall()
    _sessions.uninstall()
