"""CrewAI: OpenInference's instrumentor (extra ``neatlogs[crewai]``) on neatlogs' provider.

It wraps ``Crew.kickoff`` (the run's root: WORKFLOW here, where OpenInference says CHAIN), each
task's execution (an AGENT span named after the agent's role, ``graph.node.id``, under which the
agent's role and goal are its input), ``Agent.kickoff``, flows and tools (TOOL). CrewAI's
model calls go through its native OpenAI provider or litellm, both traced by neatlogs: those
LLM spans sit under the task that made them.

CrewAI's own telemetry uses a TracerProvider of its own (never the global one), so its spans
never reach neatlogs' store; ``CREWAI_DISABLE_TELEMETRY=true`` turns it off.
``OTEL_SDK_DISABLED=true`` turns off every OpenTelemetry SDK in the process, neatlogs included.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import _log, semconv
from .._adopted import activate, deactivate

__all__ = ["instrument", "uninstrument"]

NAME = "crewai"
_WORKFLOW = "WORKFLOW"


def instrument(module: object) -> None:
    """Turn the instrumentor on, now that the program imported ``crewai``."""
    activate(NAME, after=_kickoff_as_workflow)


def _kickoff_as_workflow(instrumentor: Any) -> None:
    """Make the span of ``Crew.kickoff`` a WORKFLOW: the crew's run, above its tasks and agents.

    OpenInference records the kickoff as a CHAIN. Its wrapper of ``Crew.kickoff`` starts the
    span through the tracer it holds (``_CrewKickoffWrapper._tracer``, openinference-
    instrumentation-crewai 1.1.21, ``_wrappers.py``); that one tracer is given the kind to use.
    Where the wrapper is not shaped so, the kickoff stays a CHAIN.
    """
    import crewai
    import wrapt

    wrapper = getattr(crewai.Crew.__dict__.get("kickoff"), "_self_wrapper", None)
    tracer = getattr(wrapper, "_tracer", None)
    if wrapper is None or tracer is None or not hasattr(tracer, "start_as_current_span"):
        _log.debug("crewai: Crew.kickoff's wrapper holds no tracer; its span stays a CHAIN")
        return

    class WorkflowTracer(wrapt.ObjectProxy):
        def start_as_current_span(self, name: str, *args: Any, attributes: Any = None, **kwargs: Any) -> Any:
            if attributes and attributes.get(semconv.OPENINFERENCE_SPAN_KIND) is not None:
                attributes = {**attributes, semconv.OPENINFERENCE_SPAN_KIND: _WORKFLOW}
            return self.__wrapped__.start_as_current_span(name, *args, attributes=attributes, **kwargs)

    wrapper._tracer = WorkflowTracer(tracer)


def uninstrument() -> None:
    """Turn it off again."""
    deactivate(NAME)
