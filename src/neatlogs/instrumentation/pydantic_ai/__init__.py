"""pydantic-ai: its own OpenTelemetry GenAI spans, turned on with neatlogs' provider and content policy.

pydantic-ai instruments itself (``pydantic_ai/models/instrumented.py``,
``InstrumentationSettings``): an ``invoke_agent {name}`` span per run, a ``chat {model}``
span per model request (``gen_ai.input.messages`` / ``gen_ai.output.messages`` /
``gen_ai.system_instructions`` and ``gen_ai.usage.*`` in span attributes) and an
``execute_tool {name}`` span per tool call (``gen_ai.tool.name``, ``.call.arguments``,
``.call.result``). So this hook only switches that on, the way its docs say
(``Agent.instrument_all(InstrumentationSettings(...))``), with:

- neatlogs' tracer provider, so the spans get our session stamping and exporter;
- ``include_content`` following ``capture_content``; the mask, truncation and string repair
  are applied to those keys as each span ends (``processors.GenAIContentSpanProcessor``),
  since pydantic-ai writes them itself;
- the newest data format the installed release accepts (version 6: tool results as
  ``role="tool"`` messages, as the GenAI conventions pair them), else its default.

The store reads the spans through the GenAI convention mapping (``store.records.span_kind_of``):
AGENT, LLM and TOOL. The openai client pydantic-ai calls underneath (``OpenAIChatModel``) is
traced by the openai instrumentation: its span nests under pydantic-ai's ``chat`` span, and
only the innermost span's tokens are counted. A program that set its own default (Logfire's
``instrument_pydantic_ai()``, its own ``instrument_all``) keeps it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Literal

from ... import _content, _log, tracing

__all__ = ["instrument", "instrument_agent", "uninstrument"]

_NEWEST_FORMAT: Literal[6] = 6
"""The newest ``InstrumentationSettings(version=...)`` known (pydantic-ai 2.x): messages in span attributes."""

_ours: Any = None
"""The settings we gave ``Agent.instrument_all``; None while we gave none."""


def _settings() -> Any:
    """``InstrumentationSettings`` for neatlogs' provider and policy; None when tracing is off."""
    tracing.get_tracer()  # builds the provider if nothing has yet
    provider = tracing.runtime.provider
    if provider is None:
        return None
    from pydantic_ai.models.instrumented import InstrumentationSettings

    include = _content.current().capture
    try:
        return InstrumentationSettings(tracer_provider=provider, include_content=include, version=_NEWEST_FORMAT)
    except (TypeError, ValueError):  # an older release: its own newest default format
        return InstrumentationSettings(tracer_provider=provider, include_content=include)


def instrument(module: Any) -> None:
    """Turn pydantic-ai's instrumentation on for every agent (``Agent.instrument_all``), unless the program did."""
    global _ours
    agent_class = getattr(module, "Agent", None)
    if agent_class is None or not hasattr(agent_class, "instrument_all"):
        _log.debug("pydantic_ai has no Agent.instrument_all: left as it is")
        return
    current = getattr(agent_class, "_instrument_default", False)
    if current is not False and current is not _ours:
        _log.debug("pydantic-ai already instrumented by the program (%r): kept", current)
        return
    settings = _settings()
    if settings is None:
        return
    agent_class.instrument_all(settings)
    _ours = settings


def instrument_agent(agent: Any) -> None:
    """``neatlogs.wrap(agent)``: turn instrumentation on for this one agent, if nothing has."""
    try:
        own = getattr(agent, "instrument", None)
        if own or (own is None and getattr(type(agent), "_instrument_default", False)):
            return  # on already: its own settings, or everyone's through instrument_all
        settings = _settings()
        if settings is not None:
            agent.instrument = settings
    except Exception:
        _log.internal_error("instrumenting the pydantic-ai agent %r failed", type(agent).__name__)


def uninstrument() -> None:
    """Give pydantic-ai back the default it had before (off), if ours is still the one set."""
    global _ours
    import sys

    module = sys.modules.get("pydantic_ai")
    agent_class = getattr(module, "Agent", None) if module is not None else None
    if agent_class is not None and _ours is not None and getattr(agent_class, "_instrument_default", None) is _ours:
        agent_class.instrument_all(False)
    _ours = None
