"""Adopted OpenInference instrumentors: activated on neatlogs' provider when their framework is imported.

For LlamaIndex, CrewAI and DSPy neatlogs uses OpenInference's instrumentors (each an optional
extra: ``neatlogs[llama_index]``, ``neatlogs[crewai]``, ``neatlogs[dspy]``) rather than a hook
of its own. :func:`activate` is called by the framework's folder when the program imports the
framework; it gives the instrumentor:

- neatlogs' tracer provider (built now if it was not yet), so our session processor stamps its
  spans and our exporter sends them;
- a ``TraceConfig`` whose ``mask`` applies neatlogs' content policy to every attribute the
  instrumentor sets, before the span holds it (``content.NeatlogsTraceConfig``).

Without the extra installed, one stderr line names the ``pip install`` that turns it on, and
the framework stays untraced (its client calls underneath are still traced). A framework whose
instrumentor the program itself activated first is left to the program's own setup.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log, tracing

__all__ = ["INSTRUMENTORS", "activate", "deactivate", "is_active"]

INSTRUMENTORS: dict[str, tuple[str, str]] = {
    # registry name (= the extra's name): (the instrumentor's module, its class)
    "crewai": ("openinference.instrumentation.crewai", "CrewAIInstrumentor"),
    "dspy": ("openinference.instrumentation.dspy", "DSPyInstrumentor"),
    "llama_index": ("openinference.instrumentation.llama_index", "LlamaIndexInstrumentor"),
}
"""The adopted instrumentors, each installed by ``pip install 'neatlogs[<name>]'``."""

_active: dict[str, Any] = {}
"""The instrumentor each framework name activated, while it is active."""
_noted: set[str] = set()
"""Names whose missing extra was already reported (one line per process)."""


def is_active(name: str) -> bool:
    """True while neatlogs' adopted instrumentor for ``name`` is on."""
    return name in _active


def activate(name: str, *, after: Callable[[Any], None] | None = None, **options: Any) -> bool:
    """Turn on the instrumentor of framework ``name`` (``INSTRUMENTORS``) with neatlogs' provider and policy.

    Args:
        name: the registry name, which is also the extra's name (``neatlogs[name]``).
        after: called with the instrumentor once it is on (a framework's own adjustments).
        **options: keyword arguments the instrumentor's ``instrument()`` takes.

    Returns:
        True when the instrumentor is on (now or already), False when it could not be.
    """
    if name in _active:
        return True  # init() twice, or the hook fired again: one instrumentor
    from .. import mark_inactive

    instrumentor_path, class_name = INSTRUMENTORS[name]
    try:
        module = importlib.import_module(instrumentor_path)
    except ImportError as error:
        mark_inactive(name)
        if name not in _noted:
            _noted.add(name)
            _log.warning(f"{name} is imported but not traced: pip install 'neatlogs[{name}]' "
                         f"to trace it ({error.name or error} is missing)")
        return False
    tracing.get_tracer()  # builds the provider (or joins the program's) if nothing needed it yet
    provider = tracing.runtime.provider
    if provider is None:
        mark_inactive(name)
        return False  # tracing is off (disabled, or shut down before the framework was imported)
    instrumentor = getattr(module, class_name)()
    if instrumentor.is_instrumented_by_opentelemetry:
        # The program (or another SDK) turned it on with its own provider: its spans go there.
        mark_inactive(name)
        _log.debug("%s is already instrumented by the program; neatlogs leaves it as it is", class_name)
        return False
    from opentelemetry.instrumentation.dependencies import DependencyConflictError

    from .content import NeatlogsTraceConfig

    try:
        instrumentor.instrument(tracer_provider=provider, config=NeatlogsTraceConfig(),
                                raise_exception_on_conflict=True, **options)
    except DependencyConflictError as conflict:
        mark_inactive(name)
        _log.warning(f"{name} is imported but not traced: {conflict}")
        return False
    if not instrumentor.is_instrumented_by_opentelemetry:
        mark_inactive(name)
        return False
    _active[name] = instrumentor
    if after is not None:
        after(instrumentor)
    return True


def deactivate(name: str) -> None:
    """Turn the adopted instrumentor for ``name`` off again, if neatlogs turned it on."""
    instrumentor = _active.pop(name, None)
    if instrumentor is not None:
        instrumentor.uninstrument()
